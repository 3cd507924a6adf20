import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The partial file of a write: named for this process (two writers never share one), beside the file. */
function partialOf(file: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}-${process.pid}-${randomBytes(4).toString('hex')}.partial`,
  );
}

/**
 * Writes a file so that a reader sees the old one or the whole new one,
 * never half: the text goes to a partial file named for this process (two
 * writers never share one), which is renamed over the file. Returns the
 * bytes written.
 */
export async function writeFileAtomically(file: string, text: string): Promise<number> {
  await mkdir(path.dirname(file), { recursive: true });
  const partial = partialOf(file);
  try {
    await writeFile(partial, text, { flag: 'wx' });
    await rename(partial, file);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  return (await stat(file)).size;
}

/**
 * Several files written together: every one goes to its partial file first,
 * and only when all are whole are they renamed over their files, in the
 * order given (put the file that says the rest is there last). A failure
 * before the renames leaves none of them written.
 */
export async function writeFilesAtomically(files: Array<{ file: string; data: string | Buffer }>): Promise<void> {
  const partials: string[] = [];
  try {
    for (const { file, data } of files) {
      await mkdir(path.dirname(file), { recursive: true });
      const partial = partialOf(file);
      partials.push(partial);
      await writeFile(partial, data, { flag: 'wx' });
    }
    for (const [i, { file }] of files.entries()) await rename(partials[i]!, file);
  } catch (err) {
    await Promise.all(partials.map((p) => rm(p, { force: true })));
    throw err;
  }
}
