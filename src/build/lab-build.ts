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
import { buildQemu, type QemuInstall } from '../qemu/build.js';

export interface BuildFlags extends KernelFlags {
  profile?: string;
  /** "system", "build" (the profile's QEMU source), or the path of a qemu-system-x86_64 */
  qemu?: string;
  /** Build the profile's QEMU source even where the profile uses the system's. */
  qemuBuild?: boolean;
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
  const kernel = await buildKernel(
    store,
    { source, base: selection.base, fragments: selection.fragments },
    { progress, signal, logDir: path.join(paths.root, 'logs') },
  );
  const rootfs = await buildRootfs(store, profile.rootfs);
  const qemu = await resolveQemuInstall(store, profile, flags, { progress, signal, logDir: path.join(paths.root, 'logs') });
  const record: BuildRecord = {
    profile: profile.name,
    fellBackFrom,
    fallbackReason,
    kernel,
    rootfs,
    qemu,
    builtAt: new Date().toISOString(),
    seconds: (Date.now() - started) / 1000,
  };
  await mkdir(paths.root, { recursive: true });
  await writeFile(paths.build, JSON.stringify(record, null, 2) + '\n');
  return record;
}

/** Which QEMU: --qemu system|build|PATH, --qemu-build, else what the profile says. */
export function qemuChoice(profile: Profile, flags: Pick<BuildFlags, 'qemu' | 'qemuBuild'>): 'system' | 'build' | { path: string } {
  if (flags.qemu === 'system' || flags.qemu === 'build') return flags.qemu;
  if (flags.qemu) return { path: flags.qemu };
  if (flags.qemuBuild) return 'build';
  return profile.qemu.use;
}

async function resolveQemuInstall(
  store: Store,
  profile: Profile,
  flags: BuildFlags,
  options: { progress: Progress; signal?: AbortSignal; logDir: string },
): Promise<QemuInstall> {
  const choice = qemuChoice(profile, flags);
  if (choice === 'build') {
    if (!profile.qemu.source || !profile.qemu.recipe) {
      throw new LabError('NO_QEMU_SOURCE', `the ${profile.name} profile names no QEMU source to build`, { hint: 'use --qemu system or a path' });
    }
    return buildQemu(store, { source: profile.qemu.source, recipe: profile.qemu.recipe }, options);
  }
  const binary = resolveQemu(choice === 'system' ? 'system' : choice.path);
  return { binary, version: await qemuVersion(binary), firmwareDirs: [] };
}

export async function readBuildRecord(paths: LabPaths): Promise<BuildRecord> {
  try {
    return JSON.parse(await readFile(paths.build, 'utf8')) as BuildRecord;
  } catch {
    throw new LabError('NOT_BUILT', `nothing has been built in ${paths.root}`, { hint: 'run lab build first' });
  }
}
