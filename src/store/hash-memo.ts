import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { keyOf, sha256File } from '../util/hash.js';
import type { Store } from './store.js';

/**
 * A local file's sha256, remembered in the store by the file's identity:
 * device, inode, size, and mtime and ctime to the nanosecond. Any write to
 * the file moves its ctime, which no one can set back, so a remembered hash
 * is the file's hash. A build with nothing changed then reads a 138 MB
 * source tarball's inode instead of its bytes.
 */
export async function sha256FileMemo(store: Store, file: string): Promise<string> {
  const st = await stat(file, { bigint: true });
  const identity = { file: path.resolve(file), dev: String(st.dev), ino: String(st.ino), size: String(st.size), mtimeNs: String(st.mtimeNs), ctimeNs: String(st.ctimeNs) };
  const memo = path.join(store.root, 'hashes', keyOf(identity));
  try {
    const remembered = (await readFile(memo, 'utf8')).trim();
    if (/^[0-9a-f]{64}$/.test(remembered)) return remembered;
  } catch {
    // not remembered yet
  }
  const sha256 = await sha256File(file);
  await mkdir(path.dirname(memo), { recursive: true });
  const partial = `${memo}.${process.pid}.partial`;
  await writeFile(partial, `${sha256}\n`);
  await rename(partial, memo);
  return sha256;
}
