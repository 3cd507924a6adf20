import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readlink, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isAlive } from '../process/signals.js';
import { acquireLock, type LockOwner } from './entry-lock.js';

export type EntryKind =
  | 'downloads'
  | 'sources'
  | 'configs'
  | 'kernels'
  | 'qemu'
  | 'rootfs'
  | 'tools'
  | 'probes'
  | 'roots'
  | 'snapshots'
  | 'starts';

export interface StoreOptions {
  /** Told once when an entry waits for another lab process that is making it. */
  onWait?: (what: string, holder: LockOwner | undefined) => void;
  signal?: AbortSignal;
}

/**
 * Scratch directories are named label@host@pid-XXXXXX: on a shared
 * store only the host that made one may judge its pid.
 */
const SCRATCH_OWNER = /@([^@/]+)@(\d+)-[^-@]+$/;
/** Before hosts were named: label-pid-XXXXXX, made on this host. */
const LEGACY_SCRATCH_OWNER = /^[^@]*-(\d+)-[^-]+$/;

/** The host and pid that made a scratch directory, from its name (pure). */
export function scratchOwner(name: string, thisHost: string): { host: string; pid: number } | undefined {
  const named = SCRATCH_OWNER.exec(name);
  if (named) return { host: named[1]!, pid: Number(named[2]) };
  const legacy = LEGACY_SCRATCH_OWNER.exec(name);
  return legacy ? { host: thisHost, pid: Number(legacy[1]) } : undefined;
}

/**
 * Kills the processes whose working directory is inside dir (make and its
 * compilers run in the build's output directory): a lab killed with SIGKILL
 * could not stop them, and they would go on writing into a removed tree.
 */
async function killWorkingIn(dir: string): Promise<void> {
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p));
  } catch {
    return; // no /proc: nothing to find them by
  }
  for (const pid of pids) {
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    if (cwd === dir || cwd.startsWith(`${dir}/`)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
}

/** The store locks the current chain of calls holds. */
const heldLocks = new AsyncLocalStorage<Set<string>>();

/**
 * The content-addressed store. An entry is built in store/tmp/ and renamed into
 * place only when complete, so an interrupted or failed step never leaves a
 * half entry that looks finished: an entry that exists is whole. It is safe
 * to share between processes and between machines on one filesystem: an
 * entry is made under a lock (store/locks), so one process makes it and the
 * others wait for it.
 */
export class Store {
  constructor(
    readonly root: string,
    private readonly options: StoreOptions = {},
  ) {}

  entry(kind: EntryKind, key: string): string {
    return path.join(this.root, kind, key);
  }

  has(kind: EntryKind, key: string): boolean {
    return existsSync(this.entry(kind, key));
  }

  /** A scratch directory on the store's filesystem (so rename into place is atomic), named after this process. */
  async scratch(label: string): Promise<string> {
    const tmp = path.join(this.root, 'tmp');
    await mkdir(tmp, { recursive: true });
    return mkdtemp(path.join(tmp, `${label}@${os.hostname()}@${process.pid}-`));
  }

  /**
   * Removes scratch directories whose lab process is gone (killed with
   * SIGKILL, or a second Ctrl-C): they never look like entries, but they
   * hold gigabytes of objects.
   */
  async sweep(): Promise<string[]> {
    const tmp = path.join(this.root, 'tmp');
    if (!existsSync(tmp)) return [];
    const removed: string[] = [];
    const here = os.hostname();
    for (const name of await readdir(tmp)) {
      const owner = scratchOwner(name, here);
      if (!owner || owner.host !== here || isAlive(owner.pid)) continue;
      // a lab killed with SIGKILL leaves its make running in its own process group
      await killWorkingIn(path.join(tmp, name));
      await rm(path.join(tmp, name), { recursive: true, force: true });
      removed.push(name);
    }
    return removed;
  }

  /**
   * Returns the entry, filling it first if absent: fill() writes into a scratch
   * directory that becomes the entry only if fill() succeeds.
   */
  async ensure(
    kind: EntryKind,
    key: string,
    fill: (dir: string) => Promise<void>,
  ): Promise<{ path: string; hit: boolean }> {
    const target = this.entry(kind, key);
    if (existsSync(target)) return { path: target, hit: true };
    return this.locked(`${kind}/${key}`, async () => {
      // made by the process this one waited for
      if (existsSync(target)) return { path: target, hit: true };
      const dir = await this.scratch(`${kind}-${key.slice(0, 12)}`);
      try {
        await fill(dir);
        await mkdir(path.dirname(target), { recursive: true });
        await rename(dir, target);
      } catch (err) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
      return { path: target, hit: false };
    });
  }

  /**
   * Runs make() holding the store's lock for `what` (kind/key): one process
   * at a time, across machines too. A make() that calls locked() for the
   * same name again (a build that ends in ensure()) already holds it.
   */
  async locked<T>(what: string, make: () => Promise<T>): Promise<T> {
    const held = heldLocks.getStore();
    if (held?.has(what)) return make();
    const lock = await acquireLock(path.join(this.root, 'locks', `${what.replace(/\//g, '-')}.lock`), what, {
      signal: this.options.signal,
      onWait: (holder) => this.options.onWait?.(what, holder),
    });
    try {
      if (lock.brokeStale) await this.sweep();
      return await heldLocks.run(new Set([...(held ?? []), what]), make);
    } finally {
      await lock.release();
    }
  }
}
