import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { LabError } from '../errors.js';
import path from 'node:path';

/** runs/<timestamp>-<name>: sortable by time, unique within the lab. */
export function runId(name: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.(\d{3})Z$/, '$1Z')
    .replace('T', '-');
  return `${stamp}-${name}`;
}

/** A run by id (in runsRoot) or by path: the directory that holds its manifest.json. */
export function resolveRunDir(runsRoot: string, ref: string): string {
  const dir = [path.resolve(ref), path.join(runsRoot, ref)].find((d) => existsSync(path.join(d, 'manifest.json')));
  if (!dir) throw new LabError('RUN_UNKNOWN', `no run ${ref} (looked in ${runsRoot} and at ${path.resolve(ref)})`);
  return dir;
}

export async function createRunDir(runsRoot: string, name: string): Promise<{ id: string; dir: string }> {
  await mkdir(runsRoot, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const id = runId(name, new Date(Date.now() + attempt));
    const dir = path.join(runsRoot, id);
    try {
      await mkdir(dir);
      return { id, dir };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 100) throw err;
    }
  }
}

export async function writeManifest(dir: string, manifest: Record<string, unknown>): Promise<string> {
  const file = path.join(dir, 'manifest.json');
  await writeFile(file, JSON.stringify(manifest, null, 2) + '\n');
  return file;
}
