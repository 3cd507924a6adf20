import { statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import type { LabPaths } from '../config/paths.js';
import { DEFAULT_PROFILE, loadProfile, type Profile } from '../config/profile.js';
import { selectKernel, type KernelFlags, type PathKind } from '../config/resolve.js';
import type { Progress } from '../cli/progress.js';
import { isStored, materializeSource } from '../fetch/source.js';
import { buildRootfs, type Rootfs } from '../image/rootfs.js';
import type { Store } from '../store/store.js';
import { qemuVersion, resolveQemu } from '../vm/qemu-binary.js';
import { buildKernel, type KernelBuild } from './kernel.js';

export interface BuildFlags extends KernelFlags {
  profile?: string;
  qemu?: string;
}

/** What lab build made, kept in .lab/build.json for up, debug and the run manifests. */
export interface BuildRecord {
  profile: string;
  /** The profile asked for, when its sources could not be fetched and lab fell back. */
  fellBackFrom?: string;
  fallbackReason?: string;
  kernel: KernelBuild;
  rootfs: Rootfs;
  qemu: { binary: string; version: string };
  builtAt: string;
  seconds: number;
}

export function pathKind(p: string): PathKind {
  const st = statSync(p, { throwIfNoEntry: false });
  return !st ? 'missing' : st.isDirectory() ? 'dir' : 'file';
}

export async function labBuild(
  store: Store,
  paths: LabPaths,
  flags: BuildFlags,
  options: { progress: Progress; signal?: AbortSignal },
): Promise<BuildRecord> {
  const started = Date.now();
  const { progress, signal } = options;
  let profile: Profile = loadProfile(flags.profile ?? DEFAULT_PROFILE);
  let selection = selectKernel(profile, flags, pathKind);
  let fellBackFrom: string | undefined;
  let fallbackReason: string | undefined;
  let source;
  try {
    source = await materializeSource(store, selection.source, { progress, signal, what: 'kernel source' });
  } catch (err) {
    const canFallBack =
      err instanceof LabError &&
      err.code === 'FETCH_FAILED' &&
      flags.profile === undefined &&
      !selection.explicitSource &&
      profile.fallback !== undefined &&
      !isStored(store, selection.source);
    if (!canFallBack) throw err;
    fellBackFrom = profile.name;
    fallbackReason = (err as LabError).message;
    progress.notice(`lab: ${fallbackReason}; falling back to the "${profile.fallback}" profile`);
    profile = loadProfile(profile.fallback!);
    selection = selectKernel(profile, flags, pathKind);
    source = await materializeSource(store, selection.source, { progress, signal, what: 'kernel source' });
  }
  const qemuBinary = resolveQemu(flags.qemu ?? profile.qemu.use);
  const kernel = await buildKernel(
    store,
    { source, base: selection.base, fragments: selection.fragments },
    { progress, signal, logDir: path.join(paths.root, 'logs') },
  );
  const rootfs = await buildRootfs(store, profile.rootfs);
  const record: BuildRecord = {
    profile: profile.name,
    fellBackFrom,
    fallbackReason,
    kernel,
    rootfs,
    qemu: { binary: qemuBinary, version: await qemuVersion(qemuBinary) },
    builtAt: new Date().toISOString(),
    seconds: (Date.now() - started) / 1000,
  };
  await mkdir(paths.root, { recursive: true });
  await writeFile(paths.build, JSON.stringify(record, null, 2) + '\n');
  return record;
}

export async function readBuildRecord(paths: LabPaths): Promise<BuildRecord> {
  try {
    return JSON.parse(await readFile(paths.build, 'utf8')) as BuildRecord;
  } catch {
    throw new LabError('NOT_BUILT', `nothing has been built in ${paths.root}`, { hint: 'run lab build first' });
  }
}
