import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** The bytes of every regular file under dir: what an image made from it must hold. */
export async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) total += (await stat(path.join(e.parentPath, e.name))).size;
  }
  return total;
}
