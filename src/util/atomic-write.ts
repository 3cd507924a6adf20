import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes a file so that a reader sees the old one or the whole new one,
 * never half: the text goes to a partial file named for this process (two
 * writers never share one), which is renamed over the file. Returns the
 * bytes written.
 */
export async function writeFileAtomically(file: string, text: string): Promise<number> {
  await mkdir(path.dirname(file), { recursive: true });
  const partial = path.join(
    path.dirname(file),
    `.${path.basename(file)}-${process.pid}-${randomBytes(4).toString('hex')}.partial`,
  );
  try {
    await writeFile(partial, text, { flag: 'wx' });
    await rename(partial, file);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  return (await stat(file)).size;
}
