import { randomBytes } from 'node:crypto';
import { existsSync, type Stats } from 'node:fs';
import { lstat, mkdir, open, rename, rm, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InterruptedError, LabError } from '../errors.js';
import { isAlive } from '../process/signals.js';
import { readCheckedText } from '../util/checked-file.js';
import type { LockOwner } from './lock-owner.js';

export type { LockOwner } from './lock-owner.js';

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function notAFile(st: Stats): string {
  if (st.isDirectory()) return 'is a directory, not a file';
  if (st.isSymbolicLink()) return 'is a link, not a file';
  return 'is not a regular file';
}

/** The holder touches its lock this often; a lock untouched for STALE_MS has no living holder. */
export const HEARTBEAT_MS = 5_000;
export const STALE_MS = 30_000;
const POLL_MS = 250;

/**
 * Why a lock is stale, or undefined when its holder may be alive (pure). On
 * this host a dead pid settles it at once; another host's holder (a node on
 * a shared filesystem) is judged by its heartbeat alone.
 */
export function staleness(
  owner: LockOwner | undefined,
  ageMs: number,
  here: { host: string; alive: (pid: number) => boolean },
): string | undefined {
  if (!owner) return ageMs > STALE_MS ? 'unreadable and untouched' : undefined;
  if (owner.host === here.host && !here.alive(owner.pid)) return `process ${owner.pid} is gone`;
  if (ageMs > STALE_MS) return `untouched for ${Math.round(ageMs / 1000)} s`;
  return undefined;
}

/** Who holds the lock and since when it was touched, or undefined when there is no lock file (now). */
async function readOwner(file: string): Promise<{ owner?: LockOwner; ageMs: number } | undefined> {
  const st = await lstat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!st) return undefined;
  if (!st.isFile()) throw new LabError('STORE_LOCK_INVALID', `the store lock ${file} ${notAFile(st)}`);
  let text: string;
  try {
    text = await readCheckedText(file, { code: 'STORE_LOCK_INVALID', maxBytes: 64 * 1024, what: 'the store lock' });
  } catch (err) {
    // released between the look and the read: no lock now
    if (err instanceof LabError && !existsSync(file)) return undefined;
    throw err;
  }
  // being written, or damaged: no owner, judged by its age
  // the schema (zod) loads only here, when a lock is found: every command makes a Store
  const { LockOwnerSchema } = await import('./lock-owner.js');
  const owner = LockOwnerSchema.safeParse(parseOrUndefined(text)).data;
  return { owner, ageMs: Date.now() - st.mtimeMs };
}

async function tryCreate(file: string, owner: LockOwner): Promise<boolean> {
  try {
    const handle = await open(file, 'wx');
    try {
      await handle.writeFile(`${JSON.stringify(owner)}\n`);
    } finally {
      await handle.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Removes a stale lock, but only the one judged: two waiters may judge the
 * same lock stale, and the slower must not remove the lock the faster has
 * made since. Breaking is itself guarded by an exclusive file, which lives
 * only for the few milliseconds of the break.
 */
async function breakStale(file: string, judged: LockOwner | undefined): Promise<void> {
  const guard = `${file}.break`;
  const me: LockOwner = {
    pid: process.pid,
    host: os.hostname(),
    token: randomBytes(8).toString('hex'),
    since: new Date().toISOString(),
    what: 'breaking a stale lock',
  };
  if (!(await tryCreate(guard, me))) {
    const other = await readOwner(guard);
    if (other && staleness(other.owner, other.ageMs, { host: os.hostname(), alive: isAlive }) !== undefined)
      await rm(guard, { force: true });
    return;
  }
  try {
    const now = await readOwner(file);
    if (now && now.owner?.token === judged?.token) {
      const aside = `${file}.stale-${me.token}`;
      await rename(file, aside);
      await rm(aside, { force: true });
    }
  } finally {
    await rm(guard, { force: true });
  }
}

export interface HeldLock {
  owner: LockOwner;
  /** A stale lock was broken on the way: its holder's leftovers may still be about. */
  brokeStale: boolean;
  release(): Promise<void>;
}

/**
 * Takes the lock file, waiting while a living process holds it and breaking
 * it when its holder is gone (no manual cleanup after a SIGKILL). onWait is
 * told once who is being waited for.
 */
export async function acquireLock(
  file: string,
  what: string,
  options: { signal?: AbortSignal; onWait?: (holder: LockOwner | undefined) => void } = {},
): Promise<HeldLock> {
  await mkdir(path.dirname(file), { recursive: true });
  const owner: LockOwner = {
    pid: process.pid,
    host: os.hostname(),
    token: randomBytes(8).toString('hex'),
    since: new Date().toISOString(),
    what,
  };
  let told = false;
  let brokeStale = false;
  for (;;) {
    if (options.signal?.aborted) throw new InterruptedError(`waiting for the lock on ${what}`);
    if (await tryCreate(file, owner)) break;
    const held = await readOwner(file);
    if (!held) continue;
    if (staleness(held.owner, held.ageMs, { host: os.hostname(), alive: isAlive }) !== undefined) {
      await breakStale(file, held.owner);
      brokeStale = true;
      continue;
    }
    if (!told) options.onWait?.(held.owner);
    told = true;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(file, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    owner,
    brokeStale,
    async release() {
      clearInterval(heartbeat);
      const now = await readOwner(file);
      if (now?.owner?.token === owner.token) await rm(file, { force: true });
    },
  };
}
