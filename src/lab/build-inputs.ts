import { hostArch, rootfsFor, type Arch } from '../arch/arch.js';
import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { debianMirror } from '../image/debian-plan.js';
import { lockFileOf, readLock } from '../lock/read.js';
import { ensureBuildRoot } from '../toolchain/build-root.js';
import { HOST_TOOLCHAIN, type Toolchain, type ToolchainKind } from '../toolchain/toolchain.js';
import { chooseProfile, type LabFile } from '../config/lab-file.js';
import { loadProfile, type Profile } from '../config/profile.js';
import { selectKernel, type KernelFlags, type KernelSelection, type PathKind } from '../config/resolve.js';
import { LabError } from '../errors.js';
import { isStored, materializeSource, type MaterializedSource } from '../fetch/source.js';
import type { RootfsKind } from '../image/rootfs-kinds.js';
import type { LabContext } from './context.js';

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
  /** root (default): the lab's pinned build root; host: this machine's compiler. */
  toolchain?: ToolchainKind;
  /** false (--no-cache): build what the store lacks rather than fetch it from the class cache lab.json names. */
  cache?: boolean;
}

/** What one build is made from, resolved once at its start and handed to every step. */
export interface BuildInputs {
  profile: Profile;
  /** The lab.json the profile came from, if any. */
  labFile?: LabFile;
  selection: KernelSelection;
  source: MaterializedSource;
  rootfs: RootfsKind;
  /** What compiles the kernel, the fragmenter and the initramfs. */
  toolchain: Toolchain;
  /** The profile asked for, when its sources could not be fetched and lab fell back. */
  fellBackFrom?: string;
  fallbackReason?: string;
}

/**
 * The toolchain a build runs with. With a lab.lock beside lab.json that pins
 * a build root, exactly that root; else the suite's current one, made once.
 */
export async function resolveToolchain(
  ctx: LabContext,
  kind: ToolchainKind,
  labFile?: LabFile,
  arch: Arch = hostArch(),
): Promise<Toolchain> {
  if (kind === 'host') return HOST_TOOLCHAIN;
  const lockFile = labFile ? lockFileOf(labFile) : undefined;
  const lock = lockFile && existsSync(lockFile) ? (await readLock(lockFile)).inputs : undefined;
  // a lock pins the root that builds its own architecture: a build for another makes its own
  const pinned = lock && (lock.arch ?? 'x86_64') === arch ? lock.toolchain : undefined;
  const pins = pinned?.kind === 'root' ? pinned : undefined;
  const logFile = path.join(ctx.paths.root, 'logs', 'build-root.log');
  await mkdir(path.dirname(logFile), { recursive: true });
  const root = await ensureBuildRoot(
    ctx.store,
    { suite: pins?.suite, mirror: debianMirror(), pins: pins?.packages, target: arch },
    { progress: ctx.progress, signal: ctx.signal, logFile },
  );
  return { kind: 'root', root };
}

/**
 * The rootfs a build boots: --rootfs, else lab.json's, else the profile's,
 * where the architecture builds it; a kind only a profile names gives way to
 * the architecture's default (arm64's initramfs: its Debian image takes a
 * second stage under TCG), one the user or lab.json named does not.
 */
export function rootfsOf(flags: BuildFlags, labFile: LabFile | undefined, profile: Profile, arch: Arch): RootfsKind {
  const named = flags.rootfs ?? (flags.profile === undefined ? labFile?.data.rootfs.kind : undefined);
  return rootfsFor(arch, named ?? profile.rootfs, named !== undefined);
}

export function pathKind(p: string): PathKind {
  const st = statSync(p, { throwIfNoEntry: false });
  return !st ? 'missing' : st.isDirectory() ? 'dir' : 'file';
}

/** May a failed fetch of the chosen profile's source fall back to its fallback profile? */
function mayFallBack(
  ctx: LabContext,
  flags: BuildFlags,
  profile: Profile,
  selection: KernelSelection,
  err: unknown,
): err is LabError {
  return (
    err instanceof LabError &&
    err.code === 'FETCH_FAILED' &&
    flags.profile === undefined &&
    !selection.explicitSource &&
    profile.fallback !== undefined &&
    !isStored(ctx.store, selection.source)
  );
}

/**
 * The profile (and lab.json), the kernel the flags select and its source,
 * fetched: when the default profile's source cannot be fetched and is not in
 * the store (and the user named neither a profile nor a source), its fallback
 * profile's instead.
 */
export async function resolveBuildInputs(ctx: LabContext, flags: BuildFlags): Promise<BuildInputs> {
  const options = { progress: ctx.progress, signal: ctx.signal, what: 'kernel source' };
  const { profile, labFile } = chooseProfile(flags);
  const selection = selectKernel(profile, flags, pathKind);
  const toolchain = await resolveToolchain(ctx, flags.toolchain ?? 'root', labFile, selection.arch);
  const inputs = (p: Profile, s: KernelSelection, source: MaterializedSource) => ({
    profile: p,
    labFile,
    selection: s,
    source,
    rootfs: rootfsOf(flags, labFile, p, s.arch),
    toolchain,
  });
  try {
    return inputs(profile, selection, await materializeSource(ctx.store, selection.source, options));
  } catch (err) {
    if (!mayFallBack(ctx, flags, profile, selection, err)) throw err;
    const fallbackReason = err.message;
    ctx.progress.notice(`lab: ${fallbackReason}; falling back to the "${profile.fallback}" profile`);
    const fallback = loadProfile(profile.fallback!);
    const fallbackSelection = selectKernel(fallback, flags, pathKind);
    const source = await materializeSource(ctx.store, fallbackSelection.source, options);
    return { ...inputs(fallback, fallbackSelection, source), fellBackFrom: profile.name, fallbackReason };
  }
}
