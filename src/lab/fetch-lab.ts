/**
 * The class cache's side of lab build: the lab lab.lock pins, fetched whole
 * from the cache lab.json names, with no kernel source, no build root and no
 * compiler. Every byte is checked against the lock before it enters the
 * store; anything the cache cannot give is built instead, after one line.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { archSpec } from '../arch/arch.js';
import { fetchEntry, type FetchedEntry } from '../cache/fetch-entry.js';
import { cacheLocation, describeCache, type CacheLocation } from '../cache/location.js';
import { chooseProfile, type LabFile } from '../config/lab-file.js';
import { selectKernel } from '../config/resolve.js';
import { InterruptedError, LabError } from '../errors.js';
import { ROOTFS_CHANNEL, ROOTFS_FILE, type RootfsKind } from '../image/rootfs-kinds.js';
import type { Rootfs } from '../image/rootfs.js';
import { readConfigInputs } from '../kernel/config-files.js';
import { configInputsOf } from '../kernel/configure.js';
import type { KernelBuild } from '../kernel/kernel.js';
import { lockFileOf, readLock } from '../lock/read.js';
import type { EntryPin, LabLock, PinnedEntryName } from '../lock/lock.js';
import { readStoreRecord } from '../store/entry-record.js';
import { sha256File } from '../util/hash.js';
import { pathKind, rootfsOf, type BuildFlags } from './build-inputs.js';
import type { LabContext } from './context.js';
import type { FetchRecord } from './build-record.js';

export interface FetchedLab {
  labFile: LabFile;
  lock: LabLock;
  kernel: KernelBuild;
  rootfs: Rootfs;
  /** The initramfs lab lock hashes beside a Debian image: fetched only when asked. */
  initramfs: () => Promise<Rootfs>;
  fetched: FetchRecord;
}

/** The flags that choose something other than the lab's own build: with any of them, lab builds (pure). */
export function flagsLeaveTheLab(flags: BuildFlags): boolean {
  return (
    flags.profile !== undefined ||
    flags.kernelSource !== undefined ||
    flags.config !== undefined ||
    flags.base !== undefined ||
    (flags.fragments?.length ?? 0) > 0 ||
    flags.modules === true ||
    flags.qemu !== undefined ||
    flags.qemuBuild === true ||
    flags.toolchain === 'host'
  );
}

/** Why lab.lock does not pin what lab.json asks for now, or undefined when it does (pure). */
export function lockBehindLabFile(
  lock: LabLock,
  wanted: {
    arch: string;
    base: { name: string; sha256?: string };
    fragments: Array<{ name: string; sha256: string }>;
    /** The Debian packages lab.json and its profile add to the image. */
    guestPackages: string[];
  },
): string | undefined {
  if ((lock.inputs.arch ?? 'x86_64') !== wanted.arch) return `lab.lock pins ${lock.inputs.arch ?? 'x86_64'}`;
  const pinnedPackages = lock.inputs.guestPackages;
  const missing = wanted.guestPackages.filter((p) => !(p in pinnedPackages));
  if (lock.inputs.rootfs === 'debian' && missing.length) return `lab.lock's image has no ${missing.join(', ')}`;
  const base = wanted.base.sha256 ? `${wanted.base.name} ${wanted.base.sha256}` : wanted.base.name;
  if (lock.inputs.kernelBase !== base) return 'its base config differs from lab.lock';
  const pinned = Object.entries(lock.inputs.fragments).sort();
  const here = wanted.fragments.map((f) => [f.name, f.sha256] as [string, string]).sort();
  if (JSON.stringify(pinned) !== JSON.stringify(here)) return 'its fragments differ from lab.lock';
  return undefined;
}

const KernelEntryRecordSchema = z.looseObject({ version: z.string(), changes: z.array(z.string()).default([]) });

/** The KernelBuild of a kernel entry lab.lock pins: what the entry holds, and what the lock says made it. */
async function kernelOf(lock: LabLock, dir: string, key: string, fetched: boolean, where: string) {
  const arch = lock.inputs.arch ?? 'x86_64';
  const record = await readStoreRecord(path.join(dir, 'build.json'), KernelEntryRecordSchema);
  const config = path.join(dir, 'config');
  // the file list was checked against the lock; a lock whose .config pin disagrees with its own entry is damaged
  if ((await sha256File(config)) !== lock.inputs.kernelConfig) {
    throw new LabError('LOCK_INVALID', `lab.lock's kernel .config pin is not the .config of the kernel entry it pins`);
  }
  const [baseName, baseSha256] = lock.inputs.kernelBase.split(' ');
  const kernel: KernelBuild = {
    key,
    dir,
    bzImage: path.join(dir, path.basename(archSpec(arch).bootImage.path)),
    arch,
    vmlinux: path.join(dir, 'vmlinux'),
    systemMap: path.join(dir, 'System.map'),
    config,
    gdbScript: path.join(dir, 'vmlinux-gdb.py'),
    version: record.version,
    sourceId: lock.inputs.kernelSource,
    sourceOrigin: fetched ? `fetched from ${where}` : 'the store (pinned by lab.lock)',
    configSha256: lock.inputs.kernelConfig,
    compiler: lock.inputs.compiler,
    cached: true,
    changes: record.changes,
    inputs: {
      base: baseSha256 ? { name: baseName!, sha256: baseSha256 } : { name: baseName! },
      fragments: Object.entries(lock.inputs.fragments).map(([name, sha256]) => ({ name, sha256 })),
    },
  };
  return kernel;
}

function storedRootfs(kind: RootfsKind, pin: EntryPin, got: FetchedEntry): Rootfs {
  return {
    kind,
    key: pin.entry.slice('rootfs/'.length),
    file: path.join(got.dir, ROOTFS_FILE[kind]),
    cached: !got.fetched,
    channel: ROOTFS_CHANNEL[kind],
  };
}

interface Pins {
  kernel: EntryPin;
  initramfs: EntryPin;
  /** The entry of the rootfs this build boots: the initramfs's, or the Debian image's. */
  rootfs: EntryPin;
}

/**
 * The lab from the class cache, or undefined when lab must build it: no
 * cache named, --no-cache, a flag that leaves the lab's own build, a lock
 * older than lab.json or without whole entries, or a cache that is down or
 * sent a byte the lock does not pin (said in one line).
 */
export async function fetchPinnedLab(ctx: LabContext, flags: BuildFlags): Promise<FetchedLab | undefined> {
  if (flags.cache === false || flagsLeaveTheLab(flags)) return undefined;
  const { labFile } = chooseProfile(flags);
  if (!labFile?.data.cache) return undefined;
  const cache = cacheLocation(labFile.data.cache, path.dirname(labFile.file));
  const buildInstead = (why: string): undefined => {
    ctx.progress.notice(`lab: class cache ${describeCache(cache)}: ${why}; building instead`);
    return undefined;
  };
  const lockFile = lockFileOf(labFile);
  if (!existsSync(lockFile)) return buildInstead(`there is no ${lockFile} to check it against`);
  const lock = await readLock(lockFile);
  const { kernel, initramfs } = lock.entries ?? {};
  if (!kernel || !initramfs) return buildInstead('lab.lock pins no whole store entries (lab lock writes them)');
  const selection = selectKernel(labFile.profile, flags, pathKind);
  const { fragments, userBase } = await readConfigInputs(selection.fragments, selection.base);
  const behind = lockBehindLabFile(lock, {
    arch: selection.arch,
    ...configInputsOf(selection.base, fragments, userBase),
    guestPackages: labFile.profile.guestPackages,
  });
  if (behind) return buildInstead(`lab.json changed since lab lock (${behind})`);
  const kind = rootfsOf(flags, labFile, labFile.profile, selection.arch);
  const rootfs = kind === 'initramfs' ? initramfs : lock.entries?.['debian image'];
  if (!rootfs) return buildInstead(`lab.lock pins no ${kind} entry`);
  try {
    return await fetchPinned(ctx, { labFile, lock, cache, kind, pins: { kernel, initramfs, rootfs } });
  } catch (err) {
    if (err instanceof InterruptedError || ctx.signal?.aborted) throw err;
    if (err instanceof LabError && (err.code === 'CACHE_REFUSED' || err.code === 'CACHE_UNREACHABLE')) {
      return buildInstead(err.message);
    }
    throw err;
  }
}

async function fetchPinned(
  ctx: LabContext,
  a: { labFile: LabFile; lock: LabLock; cache: CacheLocation; kind: RootfsKind; pins: Pins },
): Promise<FetchedLab> {
  const { lock, cache, pins } = a;
  const fetched: FetchRecord = { cache: describeCache(cache), entries: [] };
  const get = async (name: PinnedEntryName, pin: EntryPin) => {
    const got = await fetchEntry(ctx.store, cache, name, pin, { progress: ctx.progress, signal: ctx.signal });
    if (got.fetched) fetched.entries.push({ name, entry: pin.entry, bytes: got.bytes });
    return got;
  };
  const kernelEntry = await get('kernel', pins.kernel);
  const rootfs = storedRootfs(
    a.kind,
    pins.rootfs,
    await get(a.kind === 'initramfs' ? 'initramfs' : 'debian image', pins.rootfs),
  );
  const kernelKey = pins.kernel.entry.slice('kernels/'.length);
  return {
    labFile: a.labFile,
    lock,
    kernel: await kernelOf(lock, kernelEntry.dir, kernelKey, kernelEntry.fetched, describeCache(cache)),
    rootfs,
    initramfs: async () =>
      a.kind === 'initramfs'
        ? rootfs
        : storedRootfs('initramfs', pins.initramfs, await get('initramfs', pins.initramfs)),
    fetched,
  };
}
