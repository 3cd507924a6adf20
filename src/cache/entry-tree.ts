import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import { sha256File } from '../util/hash.js';
import type { Manifest, ManifestFile } from './manifest.js';

/**
 * A store entry's file list, read from its folder: every regular file with
 * its size, mode and sha256. A link, device or FIFO cannot be served as
 * bytes and checked, so an entry holding one is refused by name.
 */
export async function readEntryTree(
  dir: string,
  entry: string,
  hash: (file: string) => Promise<string> = (f) => sha256File(f),
): Promise<Manifest> {
  const files: ManifestFile[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(path.join(dir, rel))).sort();
    for (const name of names) {
      const sub = rel ? `${rel}/${name}` : name;
      const st = await lstat(path.join(dir, sub));
      if (st.isDirectory()) await walk(sub);
      else if (st.isFile()) {
        const sha256 = await hash(path.join(dir, sub));
        files.push({ path: sub, size: st.size, mode: st.mode & 0o111 ? '755' : '644', sha256 });
      } else {
        throw new LabError('STORE_DAMAGED', `${entry} holds ${sub}, which is not a regular file or folder`, {
          hint: 'remove the entry from the store and build it again',
        });
      }
    }
  };
  await walk('');
  return { entry, files };
}
