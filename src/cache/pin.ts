import type { EntryPin } from '../lock/lock.js';
import { sha256FileMemo } from '../store/file-memo.js';
import type { EntryKind, Store } from '../store/store.js';
import { readEntryTree } from './entry-tree.js';
import { manifestDigest, type Manifest } from './manifest.js';

/** A store entry's file list, its files hashed once per identity (the store's memo). */
export function entryManifest(store: Store, kind: EntryKind, key: string): Promise<Manifest> {
  return readEntryTree(store.entry(kind, key), `${kind}/${key}`, (f) => sha256FileMemo(store, f));
}

/** What lab.lock pins of a store entry: where it is and the sha256 of its file list. */
export async function pinEntry(store: Store, kind: EntryKind, key: string): Promise<EntryPin> {
  return { entry: `${kind}/${key}`, files: manifestDigest(await entryManifest(store, kind, key)) };
}
