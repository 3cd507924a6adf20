import { statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import { loadProfile, type Profile } from '../config/profile.js';
import { chooseProfile } from '../config/lab-file.js';
import { selectKernel, type KernelFlags, type PathKind } from '../config/resolve.js';
import type { Progress } from '../progress/progress.js';
import { isStored, materializeSource } from '../fetch/source.js';
import { buildRootfs, type RootfsKind } from '../image/rootfs.js';
import type { Store } from '../store/store.js';
import { qemuVersion, resolveQemu } from '../qemu/binary.js';
import { configureKernel } from '../kernel/configure.js';
import { buildKernel } from '../kernel/kernel.js';
import { buildQemu, type QemuInstall } from '../qemu/source-build.js';
import type { LabContext } from './context.js';
import { writeBuildRecord, type BuildRecord } from './build-record.js';

export interface BuildFlags extends KernelFlags {
  profile?: string;
  /** The lab.json to build (default ./lab.json when there is one). */
  lab?: string;
  rootfs?: RootfsKind;
  /** Stop once the kernel's config is final and verified. */
  configureOnly?: boolean;
  /** Build the modules too (a distro config's thousands of them take long). */
  modules?: boolean;
  /** "system", "build" (the profile's QEMU source), or the path of a qemu-system-x86_64 */
  qemu?: string;
  /** Build the profile's QEMU source even where the profile uses the system's. */
  qemuBuild?: boolean;
}

export function pathKind(p: string): PathKind {
  const st = statSync(p, { throwIfNoEntry: false });
  return !st ? 'missing' : st.isDirectory() ? 'dir' : 'file';
}

/**
 * The profile and the kernel source to build from, fetched: when the default
 * profile's sources cannot be fetched and are not in the store (and the user
 * named neither a profile nor a source), its fallback profile instead.
 */
async function resolveKernelSource(
  store: Store,
  flags: BuildFlags,
  options: { progress: Progress; signal?: AbortSignal },
) {
  let profile: Profile = chooseProfile(flags).profile;
  let selection = selectKernel(profile, flags, pathKind);
  try {
    const source = await materializeSource(store, selection.source, { ...options, what: 'kernel source' });
    return { profile, selection, source, fellBackFrom: undefined, fallbackReason: undefined };
  } catch (err) {
    const canFallBack =
      err instanceof LabError &&
      err.code === 'FETCH_FAILED' &&
      flags.profile === undefined &&
      !selection.explicitSource &&
      profile.fallback !== undefined &&
      !isStored(store, selection.source);
    if (!canFallBack) throw err;
    const fellBackFrom = profile.name;
    const fallbackReason = err.message;
    options.progress.notice(`lab: ${fallbackReason}; falling back to the "${profile.fallback}" profile`);
    profile = loadProfile(profile.fallback!);
    selection = selectKernel(profile, flags, pathKind);
    const source = await materializeSource(store, selection.source, { ...options, what: 'kernel source' });
    return { profile, selection, source, fellBackFrom, fallbackReason };
  }
}

export async function buildLab(ctx: LabContext, flags: BuildFlags): Promise<BuildRecord> {
  const started = Date.now();
  const { store, paths, progress, signal } = ctx;
  const options = { progress, signal };
  await store.sweep();
  const { profile, selection, source, fellBackFrom, fallbackReason } = await resolveKernelSource(store, flags, options);
  const logDir = path.join(paths.root, 'logs');
  const kernel = await buildKernel(
    store,
    { source, base: selection.base, fragments: selection.fragments, modules: flags.modules },
    { progress, signal, logDir },
  );
  const rootfs = await buildRootfs(store, flags.rootfs ?? profile.rootfs, {
    progress,
    signal,
    logDir,
    packages: profile.guestPackages,
  });
  const qemu = await resolveQemuInstall(store, profile, flags, {
    progress,
    signal,
    logDir: path.join(paths.root, 'logs'),
  });
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
  await writeBuildRecord(paths, record);
  return record;
}

export interface ConfigureRecord {
  profile: string;
  fellBackFrom?: string;
  configKey: string;
  config: string;
  cached: boolean;
  fragments: string[];
  /** Each option lab changed in the user's config, "NAME: old -> new". */
  changes: string[];
  /** Options a fragment names that this kernel does not define (skipped, not failed). */
  notInKernel: string[];
  logFile: string;
}

/**
 * lab build --configure-only: the kernel's final, verified config and what lab changed, no make of the kernel itself.
 */
export async function configureLab(ctx: LabContext, flags: BuildFlags): Promise<ConfigureRecord> {
  const { store, paths } = ctx;
  const options = { progress: ctx.progress, signal: ctx.signal };
  const { profile, selection, source, fellBackFrom } = await resolveKernelSource(store, flags, options);
  const logDir = path.join(paths.root, 'logs');
  await mkdir(logDir, { recursive: true });
  const logFile = path.join(logDir, 'kernel-build.log');
  const configured = await configureKernel(
    store,
    { source, base: selection.base, fragments: selection.fragments },
    { ...options, logFile },
  );
  return {
    profile: profile.name,
    fellBackFrom,
    configKey: configured.configKey,
    config: path.join(store.entry('configs', configured.configKey), 'config'),
    cached: configured.cached,
    fragments: selection.fragments.map((f) => path.basename(f)),
    changes: configured.changes,
    notInKernel: configured.notInKernel ?? [],
    logFile,
  };
}

/** Which QEMU: --qemu system|build|PATH, --qemu-build, else what the profile says. */
export function qemuChoice(
  profile: Profile,
  flags: Pick<BuildFlags, 'qemu' | 'qemuBuild'>,
): 'system' | 'build' | { path: string } {
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
      throw new LabError('NO_QEMU_SOURCE', `the ${profile.name} profile names no QEMU source to build`, {
        hint: 'use --qemu system or a path',
      });
    }
    return buildQemu(store, { source: profile.qemu.source, recipe: profile.qemu.recipe }, options);
  }
  const binary = resolveQemu(choice === 'system' ? 'system' : choice.path);
  return { binary, version: await qemuVersion(binary, store), firmwareDirs: [] };
}
