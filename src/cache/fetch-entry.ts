import { createHash } from 'node:crypto';
import { chmod, mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { InterruptedError, LabError } from '../errors.js';
import { download } from '../fetch/download.js';
import type { EntryPin } from '../lock/lock.js';
import type { Progress } from '../progress/progress.js';
import type { EntryKind, Store } from '../store/store.js';
import { openCheckedStream, readCheckedBytes } from '../util/checked-file.js';
import { cacheFile, type CacheLocation } from './location.js';
import { cacheLayout, MANIFEST_LIMITS, parseManifest, type ManifestFile } from './manifest.js';

export interface FetchedEntry {
  /** The entry in the store. */
  dir: string;
  /** False when the store had it already (made here, or fetched before). */
  fetched: boolean;
  bytes: number;
}

interface FetchOptions {
  progress: Progress;
  signal?: AbortSignal;
}

/** Bytes of a cache's file, at most maxBytes: a file list comes whole into memory, so it is bounded. */
async function readCacheBytes(cache: CacheLocation, rel: string, maxBytes: number, signal?: AbortSignal) {
  const where = cacheFile(cache, rel);
  if (cache.kind === 'dir') {
    return readCheckedBytes(where, { code: 'CACHE_UNREACHABLE', maxBytes, what: 'the class cache file' });
  }
  const { default: got } = await import('got');
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    const stream = got.stream(where, {
      retry: { limit: 1 },
      timeout: { lookup: 10_000, connect: 10_000, socket: 30_000 },
      decompress: false,
    });
    // not got's own signal option: got keeps listening after the body ends, and a later abort then throws unhandled
    const stop = () => stream.destroy(new InterruptedError(`fetching ${where}`));
    signal?.addEventListener('abort', stop, { once: true });
    try {
      for await (const chunk of stream) {
        length += (chunk as Buffer).length;
        if (length > maxBytes) {
          stream.destroy();
          throw new LabError('CACHE_REFUSED', `${where} is longer than the ${maxBytes} bytes lab reads`);
        }
        chunks.push(chunk as Buffer);
      }
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  } catch (err) {
    if (signal?.aborted) throw new InterruptedError(`fetching ${where}`);
    if (err instanceof LabError) throw err;
    const status = (err as { response?: { statusCode?: number } }).response?.statusCode;
    const why = status ? `HTTP ${status}` : ((err as NodeJS.ErrnoException).code ?? (err as Error).message);
    throw new LabError('CACHE_UNREACHABLE', `${where}: ${why}`);
  }
  return Buffer.concat(chunks);
}

/** One file of the list into dest, checked against its size and sha256 as it arrives. */
async function fetchFile(
  store: Store,
  cache: CacheLocation,
  file: ManifestFile,
  dest: string,
  where: string,
  options: FetchOptions & { onBytes: (n: number) => void },
): Promise<void> {
  const source = cacheFile(cache, cacheLayout.file(file.sha256));
  const mismatch = (got: string) =>
    new LabError(
      'CACHE_REFUSED',
      `${where}/${file.path}: the cache sent bytes with sha256 ${got.slice(0, 12)}…, ` +
        `lab.lock's file list says ${file.sha256.slice(0, 12)}…`,
    );
  if (cache.kind === 'dir') {
    const read = { code: 'CACHE_UNREACHABLE' as const, maxBytes: file.size, what: 'the class cache file' };
    const input = await openCheckedStream(source, read);
    const hash = createHash('sha256');
    let length = 0;
    const counting = new Transform({
      transform(chunk: Buffer, _enc, done) {
        length += chunk.length;
        hash.update(chunk);
        options.onBytes(chunk.length);
        done(null, chunk);
      },
    });
    const out = await open(dest, 'wx');
    try {
      await pipeline(input, counting, out.createWriteStream(), { signal: options.signal });
    } catch (err) {
      if (options.signal?.aborted) throw new InterruptedError(`copying ${source}`);
      throw err;
    }
    const got = hash.digest('hex');
    if (length !== file.size || got !== file.sha256) throw mismatch(got);
    return;
  }
  // kept between runs under its hash: an interrupted fetch resumes where it stopped
  const partialPath = path.join(store.root, 'partial', file.sha256);
  let seen = 0;
  try {
    await download([source], file.sha256, dest, {
      partialPath,
      signal: options.signal,
      maxBytes: file.size,
      resumes: 3,
      onProgress: (p) => {
        options.onBytes(Math.max(0, p.transferred - seen));
        seen = Math.max(seen, p.transferred);
      },
    });
  } catch (err) {
    if (err instanceof InterruptedError || options.signal?.aborted) throw err;
    await rm(partialPath, { force: true });
    if (err instanceof LabError && err.code === 'SHA256_MISMATCH')
      throw mismatch(/got ([0-9a-f]+)/.exec(err.message)?.[1] ?? '?');
    throw new LabError('CACHE_UNREACHABLE', `${where}/${file.path}: ${(err as Error).message}`);
  }
}

/**
 * A store entry lab.lock pins, from the class cache: its file list checked
 * against the pin, each file against the list as it arrives, the entry made
 * in scratch and renamed into the store only when every byte matched, under
 * the store's lock (two students on one store fetch it once). A store that
 * has the entry already fetches nothing.
 */
export async function fetchEntry(
  store: Store,
  cache: CacheLocation,
  name: string,
  pin: EntryPin,
  options: FetchOptions,
): Promise<FetchedEntry> {
  const [kind, key] = pin.entry.split('/') as [EntryKind, string];
  if (store.has(kind, key)) return { dir: store.entry(kind, key), fetched: false, bytes: 0 };
  const where = pin.entry;
  const text = await readCacheBytes(cache, cacheLayout.manifest(pin.entry), MANIFEST_LIMITS.textBytes, options.signal);
  const manifest = parseManifest(text.toString('utf8'), pin, where);
  const total = manifest.files.reduce((n, f) => n + f.size, 0);
  let bytes = 0;
  const made = await store.ensure(kind, key, async (dir) => {
    const stage = options.progress.stage(`fetch the ${name} from the class cache`);
    for (const file of manifest.files) {
      const dest = path.join(dir, file.path);
      await mkdir(path.dirname(dest), { recursive: true });
      await fetchFile(store, cache, file, dest, where, {
        ...options,
        onBytes: (n) => {
          bytes += n;
          stage.update({ done: bytes, total, unit: 'bytes' });
        },
      });
      await chmod(dest, file.mode === '755' ? 0o755 : 0o644);
    }
    stage.done(`${manifest.files.length} files checked against lab.lock`);
  });
  return { dir: made.path, fetched: !made.hit, bytes: made.hit ? 0 : total };
}
