import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Progress } from 'got';
import { LabError, InterruptedError } from '../errors.js';

export interface DownloadOptions {
  /** Where the bytes collect while they arrive; kept when interrupted so the next try resumes. */
  partialPath: string;
  onProgress?: (p: { url: string; transferred: number; total?: number }) => void;
  signal?: AbortSignal;
  /** Times one URL is resumed after its connection drops before moving to the next. */
  resumes?: number;
}

/**
 * Downloads the first URL that works into dest, verified: the sha256 is computed
 * while the bytes stream in (resumed transfers hash the bytes already on disk
 * first), and the file is renamed to dest only when it matches.
 */
export async function download(
  urls: string[],
  expectedSha256: string,
  dest: string,
  options: DownloadOptions,
): Promise<void> {
  await mkdir(path.dirname(options.partialPath), { recursive: true });
  const failures: string[] = [];
  for (const url of urls) {
    let actual: string;
    try {
      actual = await downloadOne(url, options);
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      failures.push(`${new URL(url).host}: ${describe(err)}`);
      continue;
    }
    if (actual !== expectedSha256) {
      await rm(options.partialPath, { force: true });
      throw new LabError(
        'SHA256_MISMATCH',
        `${path.basename(new URL(url).pathname)} from ${new URL(url).host} ` +
          `has sha256 ${actual}, expected ${expectedSha256}; the file was deleted`,
        { hint: 'check the URL and the pinned sha256' },
      );
    }
    // dest's folder appears only now: an entry that exists is a verified one
    await mkdir(path.dirname(dest), { recursive: true });
    await rename(options.partialPath, dest);
    return;
  }
  throw new LabError('FETCH_FAILED', `could not fetch ${path.basename(dest)} (${failures.join('; ')})`);
}

/** Fetches url into the partial file, resuming it, and returns the sha256 of the whole. */
async function downloadOne(url: string, options: DownloadOptions): Promise<string> {
  const resumes = options.resumes ?? 5;
  for (let attempt = 0; ; attempt++) {
    const have = existsSync(options.partialPath) ? (await stat(options.partialPath)).size : 0;
    try {
      return await fetchFrom(url, have, options);
    } catch (err) {
      if (options.signal?.aborted) throw new InterruptedError(`download of ${url}`);
      const progressed = existsSync(options.partialPath) && (await stat(options.partialPath)).size > have;
      // Only a dropped transfer that was making progress is worth resuming.
      if (attempt < resumes && progressed && isDropped(err)) continue;
      throw err;
    }
  }
}

async function fetchFrom(url: string, offset: number, options: DownloadOptions): Promise<string> {
  // got (23 modules) loads only when something is downloaded: a build with everything cached never pays for it
  const { default: got } = await import('got');
  const stream = got.stream(url, {
    headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
    retry: { limit: 0 },
    timeout: { lookup: 10_000, connect: 15_000, socket: 60_000 },
    signal: options.signal,
    decompress: false,
  });
  let append = offset > 0;
  stream.on('response', (response: { statusCode: number }) => {
    // a server that ignores Range sends the whole file again: start over
    if (offset > 0 && response.statusCode !== 206) append = false;
  });
  stream.on('downloadProgress', (p: Progress) => {
    const base = append ? offset : 0;
    options.onProgress?.({
      url,
      transferred: base + p.transferred,
      total: p.total === undefined ? undefined : base + p.total,
    });
  });
  await new Promise<void>((resolve, reject) => {
    stream.once('response', () => resolve());
    stream.once('error', reject);
  });
  const hash = createHash('sha256');
  if (append) {
    for await (const chunk of createReadStream(options.partialPath)) hash.update(chunk as Buffer);
  } else if (offset > 0) {
    await truncate(options.partialPath, 0);
  }
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(stream, hashing, createWriteStream(options.partialPath, { flags: append ? 'a' : 'w' }));
  return hash.digest('hex');
}

function isDropped(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return (
    ['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'ETIMEDOUT', 'EPIPE', 'ERR_GOT_REQUEST_ERROR'].includes(code ?? '') ||
    (err as Error).name === 'ReadError'
  );
}

function describe(err: unknown): string {
  const status = (err as { name?: string; response?: { statusCode?: number } }).response?.statusCode;
  if ((err as Error).name === 'HTTPError' && status) return `HTTP ${status}`;
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}` : e.message;
}
