import { debuggerFor } from '../arch/arch.js';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { labPaths } from '../config/paths.js';
import { Store } from '../store/store.js';
import { chooseProfile, type LabFile } from '../config/lab-file.js';
import { lockFileOf, readLock } from '../lock/read.js';
import { LabError } from '../errors.js';
import { writeFileAtomically } from '../util/atomic-write.js';
import { debugfsCatCommand, installedPackages } from '../util/dpkg-status.js';
import { compareLocks, labSame, LOCK_VERSION, lockDigest, lockText, type LabLock, type LockRow } from '../lock/lock.js';
import { executeChecked, versionLine } from '../process/runner.js';
import { sha256FileMemo } from '../store/file-memo.js';
import { pinEntry } from '../cache/pin.js';
import { buildLabWith } from './build.js';
import type { BuildRecord } from './build-record.js';
import type { LabContext } from './context.js';
import type { ToolchainKind } from '../toolchain/toolchain.js';

export interface LockFlags {
  lab?: string;
  toolchain?: ToolchainKind;
  /** false (--no-cache): build what the store lacks rather than fetch it from the class cache. */
  cache?: boolean;
}

export { lockFileOf, readLock };

export function requireLabFile(flags: { lab?: string }): LabFile {
  const { labFile } = chooseProfile({ lab: flags.lab });
  if (!labFile) throw new LabError('NO_LAB_FILE', `there is no ${path.join(process.cwd(), 'lab.json')}`);
  return labFile;
}

/** The Debian packages installed in an image, read from its dpkg status. */
async function guestPackagesOf(image: string): Promise<Record<string, string>> {
  const r = await executeChecked(debugfsCatCommand(image, '/var/lib/dpkg/status'));
  return installedPackages(r.stdout.toString());
}

/**
 * This machine's lock of the lab: builds what the store lacks (the lab's
 * kernel and rootfs, and the initramfs lab demo boots), then hashes every
 * output and names every input.
 */
export async function currentLock(
  ctx: LabContext,
  labFile: LabFile,
  flags: LockFlags,
): Promise<{ lock: LabLock; build: BuildRecord }> {
  const built = await buildLabWith(ctx, { lab: labFile.file, toolchain: flags.toolchain, cache: flags.cache });
  const build = built.record;
  const initramfs = await built.initramfs();
  const stage = ctx.progress.stage('hashing what the lab built');
  // remembered by identity: pinEntry below hashes the same files again for the entries' file lists
  const hash = (file: string) => sha256FileMemo(ctx.store, file);
  const outputs: Record<string, string> = {
    bzImage: await hash(build.kernel.bzImage),
    vmlinux: await hash(build.kernel.vmlinux),
    initramfs: await hash(initramfs.file),
  };
  if (build.rootfs.kind === 'debian') outputs['debian image'] = await hash(build.rootfs.file);
  const entries: NonNullable<LabLock['entries']> = {
    kernel: await pinEntry(ctx.store, 'kernels', build.kernel.key),
    initramfs: await pinEntry(ctx.store, 'rootfs', initramfs.key),
  };
  if (build.rootfs.kind === 'debian') entries['debian image'] = await pinEntry(ctx.store, 'rootfs', build.rootfs.key);
  stage.done();
  const k = build.kernel;
  const lock: LabLock = {
    lockVersion: LOCK_VERSION,
    lab: labFile.data.name,
    inputs: {
      kernelSource: k.sourceId,
      kernelBase: k.inputs.base.sha256 ? `${k.inputs.base.name} ${k.inputs.base.sha256}` : k.inputs.base.name,
      fragments: Object.fromEntries(k.inputs.fragments.map((f) => [f.name, f.sha256])),
      patches: [],
      kernelConfig: k.configSha256,
      compiler: k.compiler,
      toolchain: built.toolchain,
      arch: k.arch,
      // a QEMU lab built is pinned by its source tarball and recipe too
      qemu: build.qemu.built
        ? `${build.qemu.version}, built from ${build.qemu.built.tarballSha256} with recipe ${build.qemu.built.recipe}`
        : build.qemu.version,
      gdb: await versionLine({ program: debuggerFor(k.arch), args: ['--version'], what: 'gdb' }),
      rootfs: build.rootfs.kind,
      guestPackages: build.rootfs.kind === 'debian' ? await guestPackagesOf(build.rootfs.file) : {},
    },
    outputs,
    entries,
  };
  return { lock, build };
}

/** lab lock: writes lab.lock beside lab.json. */
export async function writeLock(
  ctx: LabContext,
  flags: LockFlags,
): Promise<{ file: string; lock: LabLock; digest: string }> {
  const labFile = requireLabFile(flags);
  // never from the class cache: the entries it serves are the old lock's, and lab.json may have moved on
  const { lock } = await currentLock(ctx, labFile, { ...flags, cache: false });
  const file = lockFileOf(labFile);
  await writeFileAtomically(file, lockText(lock));
  return { file, lock, digest: lockDigest(lock) };
}

export interface VerifyFlags extends LockFlags {
  /** Build every item from source in an empty store of its own, whatever this store holds or a cache serves. */
  rebuild?: boolean;
}

/**
 * This machine's lock of the lab built from nothing: an empty store in the
 * store's scratch space, no class cache, removed afterwards whatever happens.
 * What a fetched lab is checked by: the same source, root and recipe must
 * give the bytes the cache served.
 */
async function rebuiltLock(ctx: LabContext, labFile: LabFile, flags: LockFlags): Promise<LabLock> {
  const scratch = await ctx.store.scratch('rebuild');
  try {
    const store = new Store(path.join(scratch, 'store'), { signal: ctx.signal });
    const paths = labPaths(path.join(scratch, 'lab'));
    ctx.progress.notice(`lab: rebuilding the lab from source in an empty store (${store.root})`);
    return (await currentLock({ ...ctx, store, paths }, labFile, { ...flags, cache: false })).lock;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** lab verify: this machine's build of the lab against the pinned lab.lock, item by item. */
export async function verifyLab(
  ctx: LabContext,
  flags: VerifyFlags,
): Promise<{ lockFile: string; rows: LockRow[]; same: boolean; rebuilt: boolean }> {
  const labFile = requireLabFile(flags);
  const lockFile = lockFileOf(labFile);
  const pinned = await readLock(lockFile);
  const lock = flags.rebuild ? await rebuiltLock(ctx, labFile, flags) : (await currentLock(ctx, labFile, flags)).lock;
  const rows = compareLocks(pinned, lock);
  return { lockFile, rows, same: labSame(rows), rebuilt: flags.rebuild === true };
}
