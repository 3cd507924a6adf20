import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import { runFile } from './files.js';

/** runs/<timestamp>-<name>: sortable by time, unique within the lab. */
export function runId(name: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.(\d{3})Z$/, '$1Z')
    .replace('T', '-');
  return `${stamp}-${name}`;
}

/** A directory is a run when it holds a manifest. */
export function isRunDir(dir: string): boolean {
  return existsSync(runFile(dir, 'manifest'));
}

/** A run by id (in runsRoot) or by path: the directory that holds its manifest. */
export function resolveRunDir(runsRoot: string, ref: string): string {
  const dir = [path.resolve(ref), path.join(runsRoot, ref)].find(isRunDir);
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

/** The ids of the runs in runsRoot, oldest first (ids sort by time). */
export async function runIds(runsRoot: string): Promise<string[]> {
  if (!existsSync(runsRoot)) return [];
  return (await readdir(runsRoot)).filter((id) => isRunDir(path.join(runsRoot, id))).sort();
}
