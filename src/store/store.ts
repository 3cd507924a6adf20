import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { isAlive } from '../process/signals.js';
import path from 'node:path';

export type EntryKind = 'downloads' | 'sources' | 'configs' | 'kernels' | 'qemu' | 'rootfs' | 'tools' | 'probes';

/**
 * The content-addressed store. An entry is built in store/tmp/ and renamed into
 * place only when complete, so an interrupted or failed step never leaves a
 * half entry that looks finished: an entry that exists is whole.
 */
export class Store {
  constructor(readonly root: string) {}

  entry(kind: EntryKind, key: string): string {
    return path.join(this.root, kind, key);
  }

  has(kind: EntryKind, key: string): boolean {
    return existsSync(this.entry(kind, key));
  }

  /** A scratch directory on the store's filesystem (so rename into place is atomic), named after this process. */
  async scratch(label: string): Promise<string> {
    const tmp = path.join(this.root, 'tmp');
    await mkdir(tmp, { recursive: true });
    return mkdtemp(path.join(tmp, `${label}-${process.pid}-`));
  }

  /**
   * Removes scratch directories whose lab process is gone (killed with
   * SIGKILL, or a second Ctrl-C): they never look like entries, but they
   * hold gigabytes of objects.
   */
  async sweep(): Promise<string[]> {
    const tmp = path.join(this.root, 'tmp');
    if (!existsSync(tmp)) return [];
    const removed: string[] = [];
    for (const name of await readdir(tmp)) {
      const pid = Number(/-(\d+)-[^-]+$/.exec(name)?.[1]);
      if (!pid || isAlive(pid)) continue;
      await rm(path.join(tmp, name), { recursive: true, force: true });
      removed.push(name);
    }
    return removed;
  }

  /**
   * Returns the entry, filling it first if absent: fill() writes into a scratch
   * directory that becomes the entry only if fill() succeeds.
   */
  async ensure(kind: EntryKind, key: string, fill: (dir: string) => Promise<void>): Promise<{ path: string; hit: boolean }> {
    const target = this.entry(kind, key);
    if (existsSync(target)) return { path: target, hit: true };
    const dir = await this.scratch(`${kind}-${key.slice(0, 12)}`);
    try {
      await fill(dir);
      await mkdir(path.dirname(target), { recursive: true });
      if (existsSync(target)) {
        // another lab process finished the same entry first; theirs is as good
        await rm(dir, { recursive: true, force: true });
      } else {
        await rename(dir, target);
      }
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return { path: target, hit: false };
  }
}
