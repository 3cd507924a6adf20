import path from 'node:path';
import { LabError } from '../errors.js';
import { changeList, compareLocks, labSame, PINNED_ENTRIES, type PinnedEntryName } from '../lock/lock.js';
import { lockFileOf, readLock } from '../lock/read.js';
import type { LabContext } from './context.js';
import { currentLock, requireLabFile } from './lock.js';
import { publishEntry, REPUBLISH } from '../cache/publish-entry.js';

export interface PublishFlags {
  lab?: string;
  /** The folder to write: served as it is by any static web server, or read from a shared filesystem. */
  dir: string;
}

export interface PublishResult {
  dir: string;
  lockFile: string;
  entries: Array<{ name: PinnedEntryName; entry: string; files: number; bytes: number }>;
  /** Bytes copied this time: files the folder already had (by sha256) are not copied again. */
  copied: number;
}

/**
 * lab publish DIR: the store entries lab.lock pins, as a class cache: each
 * entry's file list under entries/, each file once under files/ by its
 * sha256. Only what this machine's build of the lab is, item by item, what
 * lab.lock pins: a lock older than the lab is LOCK_DIFFERS, nothing written.
 */
export async function publishLab(ctx: LabContext, flags: PublishFlags): Promise<PublishResult> {
  const labFile = requireLabFile(flags);
  const lockFile = lockFileOf(labFile);
  const pinned = await readLock(lockFile);
  if (!pinned.entries?.kernel) {
    const what = `${lockFile} (lockVersion ${pinned.lockVersion}) pins no whole store entries`;
    throw new LabError('LOCK_DIFFERS', what, { hint: REPUBLISH });
  }
  const { lock } = await currentLock(ctx, labFile, { lab: flags.lab, cache: false });
  const rows = compareLocks(pinned, lock);
  const differ = rows.filter((r) => !r.same && !r.hostTool);
  if (!labSame(rows)) {
    const items = changeList(
      differ.map((r) => `${r.item} ${r.detail ?? ''}`.trim()),
      4,
    );
    throw new LabError('LOCK_DIFFERS', `this machine's build of the lab is not what ${lockFile} pins: ${items}`, {
      hint: REPUBLISH,
    });
  }
  const dir = path.resolve(flags.dir);
  const stage = ctx.progress.stage(`publish to ${dir}`);
  const entries: PublishResult['entries'] = [];
  let copied = 0;
  for (const name of PINNED_ENTRIES) {
    const pin = pinned.entries[name];
    if (!pin) continue;
    const published = await publishEntry(ctx.store, pin, dir, (bytes) => {
      copied += bytes;
      stage.update({ done: copied, unit: 'bytes' });
    });
    entries.push({ name, entry: pin.entry, ...published });
  }
  stage.done(`${entries.length} entries`);
  return { dir, lockFile, entries, copied };
}
