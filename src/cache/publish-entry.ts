import { existsSync } from 'node:fs';
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import type { EntryPin } from '../lock/lock.js';
import type { EntryKind, Store } from '../store/store.js';
import { writeFileAtomically } from '../util/atomic-write.js';
import { cacheLayout, manifestDigest, manifestText } from './manifest.js';
import { entryManifest } from './pin.js';

/** What the teacher does when the store, lab.lock and the lab disagree. */
export const REPUBLISH = 'run lab lock, then lab publish again';

/** A file into the folder under its sha256, whole or not at all. */
async function publishFile(from: string, to: string): Promise<boolean> {
  if (existsSync(to)) return false;
  await mkdir(path.dirname(to), { recursive: true });
  const partial = `${to}.partial-${process.pid}`;
  try {
    await copyFile(from, partial);
    await rename(partial, to);
  } finally {
    await rm(partial, { force: true });
  }
  return true;
}

/**
 * One store entry into a class cache folder, checked first against its pin:
 * each file under its sha256 (once, whole), then its file list, so a cache
 * that names an entry has every file of it.
 */
export async function publishEntry(
  store: Store,
  pin: EntryPin,
  dir: string,
  onCopied: (bytes: number) => void = () => {},
): Promise<{ files: number; bytes: number }> {
  const [kind, key] = pin.entry.split('/') as [EntryKind, string];
  const manifest = await entryManifest(store, kind, key);
  if (manifestDigest(manifest) !== pin.files) {
    throw new LabError('LOCK_DIFFERS', `the store's ${pin.entry} is not the entry lab.lock pins`, { hint: REPUBLISH });
  }
  let bytes = 0;
  for (const file of manifest.files) {
    const from = path.join(store.entry(kind, key), file.path);
    if (await publishFile(from, path.join(dir, cacheLayout.file(file.sha256)))) onCopied(file.size);
    bytes += file.size;
  }
  await writeFileAtomically(path.join(dir, cacheLayout.manifest(pin.entry)), manifestText(manifest));
  return { files: manifest.files.length, bytes };
}
