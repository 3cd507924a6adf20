/**
 * A class cache for real: a store entry published into a folder, that folder
 * served by a web server on 127.0.0.1 (with Range, as any static server) or
 * read as a shared folder, and fetched into another store. The cache is
 * hostile here: one byte changed, a file list changed, a file longer than
 * its list says, a server that is not there, a transfer cut by Ctrl-C. Every
 * refusal names the entry and the file, and leaves nothing in the store.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchEntry } from '../../src/cache/fetch-entry.js';
import type { CacheLocation } from '../../src/cache/location.js';
import { cacheLayout } from '../../src/cache/manifest.js';
import { pinEntry } from '../../src/cache/pin.js';
import { publishEntry } from '../../src/cache/publish-entry.js';
import { InterruptedError, LabError } from '../../src/errors.js';
import type { EntryPin } from '../../src/lock/lock.js';
import type { Progress } from '../../src/progress/progress.js';
import { Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/cli.js';
import { closeServer } from '../helpers/http.js';
import { serveFolder as serve, type Served } from '../helpers/static-server.js';

const KEY = 'feedfacefeedfacefeedfacefeedface';
const quiet: Progress = { notice: () => {}, stage: () => ({ update: () => {}, done: () => {} }) };
const BIG = Buffer.alloc(3 << 20, 7);

/** A teacher's store with one kernel-like entry: nested files, an executable, a 3 MiB file. */
async function teacherEntry(): Promise<{ store: Store; pin: EntryPin }> {
  const store = new Store(tempDir('cache-teacher'));
  const dir = store.entry('kernels', KEY);
  mkdirSync(path.join(dir, 'scripts', 'gdb', 'linux'), { recursive: true });
  writeFileSync(path.join(dir, 'vmlinux'), BIG);
  writeFileSync(path.join(dir, 'System.map'), 'ffffffff81000000 T _text\n');
  writeFileSync(path.join(dir, 'scripts', 'gdb', 'linux', 'utils.py'), 'import gdb\n');
  writeFileSync(path.join(dir, 'vmlinux-gdb.py'), '#!/usr/bin/env python3\n');
  chmodSync(path.join(dir, 'vmlinux-gdb.py'), 0o755);
  return { store, pin: await pinEntry(store, 'kernels', KEY) };
}

function refusal(err: unknown): LabError {
  expect(err).toBeInstanceOf(LabError);
  return err as LabError;
}

/** Nothing half-made: no entry, and no scratch directory left in the store. */
function expectNothingIn(store: Store) {
  expect(store.has('kernels', KEY)).toBe(false);
  expect(existsSync(path.join(store.root, 'tmp')) ? readdirSync(path.join(store.root, 'tmp')) : []).toEqual([]);
}

let teacher: { store: Store; pin: EntryPin };
let published: string;
let web: Served;

beforeAll(async () => {
  teacher = await teacherEntry();
  published = tempDir('cache-published');
  const r = await publishEntry(teacher.store, teacher.pin, published);
  expect(r).toEqual({ files: 4, bytes: BIG.length + 25 + 11 + 23 });
  web = await serve(published);
});

afterAll(async () => {
  await closeServer(web.server);
});

describe('a published entry', () => {
  it('is each file once by its sha256 and a file list, and publishing again copies nothing', async () => {
    const files = readdirSync(path.join(published, 'files'), { recursive: true }).filter((f) =>
      /[0-9a-f]{64}$/.test(String(f)),
    );
    expect(files).toHaveLength(4);
    expect(existsSync(path.join(published, cacheLayout.manifest(teacher.pin.entry)))).toBe(true);
    let copied = 0;
    await publishEntry(teacher.store, teacher.pin, published, (n) => (copied += n));
    expect(copied).toBe(0);
  });

  it.each(['url', 'dir'] as const)(
    'is fetched from a %s cache into an empty store: same bytes, same modes, and fetched once',
    async (kind) => {
      const cache: CacheLocation = kind === 'url' ? { kind, base: web.url } : { kind, dir: published };
      const store = new Store(tempDir('cache-student'));
      const got = await fetchEntry(store, cache, 'kernel', teacher.pin, { progress: quiet });
      expect(got).toMatchObject({ fetched: true, bytes: BIG.length + 59 });
      expect(await pinEntry(store, 'kernels', KEY)).toEqual(teacher.pin);
      expect(statSync(path.join(got.dir, 'vmlinux-gdb.py')).mode & 0o777).toBe(0o755);
      expect(statSync(path.join(got.dir, 'vmlinux')).mode & 0o777).toBe(0o644);
      const before = web.requests.length;
      expect(await fetchEntry(store, cache, 'kernel', teacher.pin, { progress: quiet })).toMatchObject({
        fetched: false,
      });
      expect(web.requests.length).toBe(before);
    },
  );

  it('is fetched once when two labs on one store ask for it at the same time', async () => {
    const store = new Store(tempDir('cache-race'));
    const cache: CacheLocation = { kind: 'url', base: web.url };
    const before = web.requests.length;
    const both = await Promise.all([
      fetchEntry(store, cache, 'kernel', teacher.pin, { progress: quiet }),
      fetchEntry(store, cache, 'kernel', teacher.pin, { progress: quiet }),
    ]);
    expect(both.map((b) => b.fetched).sort()).toEqual([false, true]);
    const files = web.requests.slice(before).filter((r) => r.url.startsWith('/files/'));
    expect(files).toHaveLength(4);
  });
});

describe('a hostile or broken cache', () => {
  /** A copy of the published folder, changed by `change`, served on its own server. */
  async function changedCache(change: (dir: string) => void): Promise<Served> {
    const dir = tempDir('cache-changed');
    cpSync(published, dir, { recursive: true });
    change(dir);
    return serve(dir);
  }
  const vmlinuxFile = () =>
    readdirSync(path.join(published, 'files'), { recursive: true })
      .map(String)
      .find((f) => statSync(path.join(published, 'files', f)).size === BIG.length)!;

  it('that changed one byte of a file is refused by entry and file name, and nothing is stored', async () => {
    const bad = await changedCache((dir) => {
      const file = path.join(dir, 'files', vmlinuxFile());
      const bytes = readFileSync(file);
      bytes[12345] = bytes[12345]! ^ 1;
      writeFileSync(file, bytes);
    });
    const store = new Store(tempDir('cache-flipped'));
    const err = refusal(
      await fetchEntry(store, { kind: 'url', base: bad.url }, 'kernel', teacher.pin, { progress: quiet }).catch(
        (e: unknown) => e,
      ),
    );
    expect(err.code).toBe('CACHE_REFUSED');
    expect(err.message).toMatch(
      new RegExp(
        `^kernels/${KEY}/vmlinux: the cache sent bytes with sha256 [0-9a-f]{12}…, lab\\.lock's file list says`,
      ),
    );
    expectNothingIn(store);
    expect(readdirSync(path.join(store.root, 'partial'))).toEqual([]);
    await closeServer(bad.server);
  });

  it('that changed a file list, or sends a file longer than its list says, is refused', async () => {
    const list = await changedCache((dir) => {
      const file = path.join(dir, cacheLayout.manifest(teacher.pin.entry));
      writeFileSync(file, readFileSync(file, 'utf8').replace('"mode": "644"', '"mode": "755"'));
    });
    const store = new Store(tempDir('cache-list'));
    const listErr = refusal(
      await fetchEntry(store, { kind: 'url', base: list.url }, 'kernel', teacher.pin, { progress: quiet }).catch(
        (e: unknown) => e,
      ),
    );
    expect(listErr.message).toMatch(/its file list has sha256 [0-9a-f]{12}…, lab\.lock pins/);
    // a file list is read before anything else: no file was asked for
    expect(list.requests.map((r) => r.url)).toEqual([`/${cacheLayout.manifest(teacher.pin.entry)}`]);
    expectNothingIn(store);
    await closeServer(list.server);

    const longer = await changedCache((dir) => {
      const file = path.join(dir, 'files', vmlinuxFile());
      writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.alloc(1 << 20)]));
    });
    const longErr = refusal(
      await fetchEntry(store, { kind: 'url', base: longer.url }, 'kernel', teacher.pin, { progress: quiet }).catch(
        (e: unknown) => e,
      ),
    );
    expect(longErr.message).toMatch(/kernels\/feedface\w+\/vmlinux: .*longer than the 3145728 bytes expected/);
    expectNothingIn(store);
    await closeServer(longer.server);

    const dirErr = refusal(
      await fetchEntry(store, { kind: 'dir', dir: path.join(published, 'nowhere') }, 'kernel', teacher.pin, {
        progress: quiet,
      }).catch((e: unknown) => e),
    );
    expect(dirErr.code).toBe('CACHE_UNREACHABLE');
  });

  it('that is not there is CACHE_UNREACHABLE in one line', async () => {
    const store = new Store(tempDir('cache-down'));
    const free = await serve(tempDir('cache-empty'));
    const err = refusal(
      await fetchEntry(store, { kind: 'url', base: free.url }, 'kernel', teacher.pin, { progress: quiet }).catch(
        (e: unknown) => e,
      ),
    );
    expect(err.code).toBe('CACHE_UNREACHABLE');
    expect(err.message).toBe(`${free.url}${cacheLayout.manifest(teacher.pin.entry)}: HTTP 404`);
    expectNothingIn(store);
    await closeServer(free.server);
  });

  it('cut by Ctrl-C keeps what arrived, and the next fetch resumes it with a Range request', async () => {
    const slow = await changedCache(() => {});
    const rel = `/files/${vmlinuxFile()}`;
    slow.stallAfter.set(rel, 1 << 20);
    const store = new Store(tempDir('cache-cut'));
    const abort = new AbortController();
    const cut = fetchEntry(store, { kind: 'url', base: slow.url }, 'kernel', teacher.pin, {
      progress: quiet,
      signal: abort.signal,
    }).catch((e: unknown) => e);
    const deadline = Date.now() + 20_000;
    const partial = path.join(store.root, 'partial', path.basename(rel));
    while (!(existsSync(partial) && statSync(partial).size >= 1 << 20) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    abort.abort();
    expect(await cut).toBeInstanceOf(InterruptedError);
    expect(store.has('kernels', KEY)).toBe(false);
    expect(statSync(partial).size).toBe(1 << 20);
    slow.stallAfter.clear();
    const got = await fetchEntry(store, { kind: 'url', base: slow.url }, 'kernel', teacher.pin, { progress: quiet });
    expect(got.fetched).toBe(true);
    expect(slow.requests.filter((r) => r.url === rel).at(-1)!.range).toBe(`bytes=${1 << 20}-`);
    expect(await pinEntry(store, 'kernels', KEY)).toEqual(teacher.pin);
    await closeServer(slow.server);
  });
});
