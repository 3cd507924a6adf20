import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from '../process/command.js';
import { programName } from '../process/programs.js';
import { versionLine } from '../process/runner.js';
import { findOnPath } from '../util/which.js';
import { keyOf, sha256File } from '../util/hash.js';
import type { Store } from './store.js';

/**
 * A fact about a local file, remembered in the store by the file's identity:
 * device, inode, size, and mtime and ctime to the nanosecond. Any write to
 * the file moves its ctime, which no one can set back, so a remembered fact
 * is the file's fact. A build with nothing changed then reads a 138 MB source
 * tarball's inode instead of its bytes, and runs no compiler to ask its version.
 */
async function rememberedOf(
  store: Store,
  kind: 'hashes' | 'versions',
  file: string,
  question: Record<string, unknown>,
  answer: () => Promise<string>,
  valid: (fact: string) => boolean,
): Promise<string> {
  const st = await stat(file, { bigint: true });
  const identity = {
    file: path.resolve(file),
    dev: String(st.dev),
    ino: String(st.ino),
    size: String(st.size),
    mtimeNs: String(st.mtimeNs),
    ctimeNs: String(st.ctimeNs),
    ...question,
  };
  const memo = path.join(store.root, kind, keyOf(identity));
  try {
    const remembered = (await readFile(memo, 'utf8')).replace(/\n$/, '');
    if (valid(remembered)) return remembered;
  } catch {
    // not remembered yet
  }
  const fact = await answer();
  await mkdir(path.dirname(memo), { recursive: true });
  const partial = `${memo}.${process.pid}.partial`;
  await writeFile(partial, `${fact}\n`);
  await rename(partial, memo);
  return fact;
}

/** A local file's sha256, remembered by the file's identity. */
export function sha256FileMemo(store: Store, file: string): Promise<string> {
  return rememberedOf(
    store,
    'hashes',
    file,
    {},
    () => sha256File(file),
    (h) => /^[0-9a-f]{64}$/.test(h),
  );
}

/**
 * The first line of a program's --version, remembered by the identity of the
 * file it runs (a symlink followed: gcc moved to another gcc-N is another
 * file). Without a store, or a program not found, it asks every time.
 */
export async function versionLineMemo(store: Store | undefined, command: Command): Promise<string> {
  const name = programName(command.program);
  const file = name.includes('/') ? name : findOnPath(name);
  if (!store || !file) return versionLine(command);
  return rememberedOf(
    store,
    'versions',
    file,
    { args: command.args },
    () => versionLine(command),
    (v) => v.length > 0 && !v.includes('\n'),
  );
}
