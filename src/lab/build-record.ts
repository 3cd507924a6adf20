import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LabPaths } from '../config/paths.js';
import { LabError } from '../errors.js';
import type { Rootfs } from '../image/rootfs.js';
import type { KernelBuild } from '../kernel/kernel.js';
import type { QemuInstall } from '../qemu/source-build.js';
import type { PinnedEntryName } from '../lock/lock.js';
import { writeFileAtomically } from '../util/atomic-write.js';
import { readCheckedText } from '../util/checked-file.js';
import { parseCheckedJson } from '../util/checked-json.js';
import { RECORD_BYTES } from '../util/checked-record.js';
import { BuildRecordSchema } from './build-record-schema.js';

/** What a build record says of a class cache: where, and which entries came from it this time. */
export interface FetchRecord {
  cache: string;
  entries: Array<{ name: PinnedEntryName; entry: string; bytes: number }>;
}

/** What lab build made, kept in .lab/build.json for up, debug and the run manifests. */
export interface BuildRecord {
  profile: string;
  /** The profile asked for, when its sources could not be fetched and lab fell back. */
  fellBackFrom?: string;
  fallbackReason?: string;
  kernel: KernelBuild;
  rootfs: Rootfs;
  qemu: QemuInstall;
  /** The .config the lab.json in use makes on its own, when the build had one: lab pack's baseline. */
  labConfig?: LabConfig;
  /** The class cache this build fetched from, and which store entries came from it this time. */
  fetched?: FetchRecord;
  builtAt: string;
  seconds: number;
}

export interface LabConfig {
  /** The lab.json, by absolute path. */
  lab: string;
  /** The config file, in the store. */
  config: string;
  configSha256: string;
}

/** The record's text, checked for the fields lab reads (pure): a damaged file is not "not built". */
export function parseBuildRecord(text: string, file: string): BuildRecord {
  return parseCheckedJson(text, file, BuildRecordSchema, 'BUILD_RECORD_CORRUPT') as unknown as BuildRecord;
}

export async function readBuildRecord(paths: LabPaths): Promise<BuildRecord> {
  if (!existsSync(paths.build)) throw new LabError('NOT_BUILT', `nothing has been built in ${paths.root}`);
  const text = await readCheckedText(paths.build, { code: 'BUILD_RECORD_CORRUPT', maxBytes: RECORD_BYTES });
  return parseBuildRecord(text, paths.build);
}

/** The record when there is one: manifests say what they can without it. */
export async function readBuildRecordIfAny(paths: LabPaths): Promise<BuildRecord | undefined> {
  return existsSync(paths.build) ? readBuildRecord(paths) : undefined;
}

export async function writeBuildRecord(paths: LabPaths, record: BuildRecord): Promise<void> {
  await writeFileAtomically(paths.build, JSON.stringify(record, null, 2) + '\n');
}

/** Where the build's kernel source was extracted: gdb finds the sources there, and shows file names relative to it. */
export function sourceTreeOf(ctx: { store: { root: string } }, build: BuildRecord | undefined): string | undefined {
  return build?.kernel.sourceId ? path.join(ctx.store.root, 'sources', build.kernel.sourceId) : undefined;
}
