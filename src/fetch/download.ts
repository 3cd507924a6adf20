import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, rename, rm, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Progress } from 'got';
import { LabError, InterruptedError } from '../errors.js';
import { sha256File } from '../util/hash.js';

export interface DownloadOptions {
  /** Where the bytes collect while they arrive; kept when interrupted so the next try resumes. */
  partialPath: string;
  onProgress?: (p: { url: string; transferred: number; total?: number }) => void;
  signal?: AbortSignal;
  /** Times one URL is resumed after its connection drops before moving to the next. */
  resumes?: number;
  /** A file longer than this is refused as it arrives (a class cache's file list says how long each is). */
  maxBytes?: number;
}

/**
 * Downloads the first URL that works into dest, verified: the sha256 is computed
 * while the bytes stream in (resumed transfers hash the bytes already on disk
 * first), and the file is renamed to dest only when it matches. A file that
 * does not match but began with bytes kept from before (another mirror's,
 * another run's) is fetched whole from the same URL before it is refused. A
 * URL whose whole file does not match fails like one that does not answer: the
 * file is deleted and the next URL tried. When none works the error names what
 * each did: SHA256_MISMATCH if any sent a wrong file (a network problem cannot
 * explain that, so no fallback should hide it), else FETCH_FAILED.
 */
export async function download(
  urls: string[],
  expectedSha256: string,
  dest: string,
  options: DownloadOptions,
): Promise<void> {
  await mkdir(path.dirname(options.partialPath), { recursive: true });
  const failures: string[] = [];
  let mismatched = false;
  for (const url of urls) {
    const host = new URL(url).host;
    const attempt = async (): Promise<Fetched | undefined> => {
      try {
        return await downloadOne(url, options);
      } catch (err) {
        if (err instanceof InterruptedError) throw err;
        failures.push(`${host}: ${describe(err)}`);
        return undefined;
      }
    };
    let fetched = await attempt();
    if (fetched && fetched.sha256 !== expectedSha256 && fetched.resumed) {
      // The bytes kept from before are not this URL's to answer for: another
      // mirror may have had another file under the name. Its whole file decides.
      await rm(options.partialPath, { force: true });
      fetched = await attempt();
    }
    if (!fetched) continue;
    if (fetched.sha256 !== expectedSha256) {
      // the wrong file goes, so the next URL starts from its first byte and a later run resumes nothing of it
      await rm(options.partialPath, { force: true });
      mismatched = true;
      failures.push(`${host}: sha256 mismatch (got ${fetched.sha256.slice(0, 12)}…)`);
      continue;
    }
    // dest's folder appears only now: an entry that exists is a verified one
    await mkdir(path.dirname(dest), { recursive: true });
    await rename(options.partialPath, dest);
    return;
  }
  const name = path.basename(dest);
  if (mismatched) {
    throw new LabError(
      'SHA256_MISMATCH',
      `could not fetch ${name} (${failures.join('; ')}), ` +
        `expected sha256 ${expectedSha256}; every wrong file was deleted`,
      { hint: 'check the URL and the pinned sha256' },
    );
  }
  throw new LabError('FETCH_FAILED', `could not fetch ${name} (${failures.join('; ')})`);
}

interface Fetched {
  /** The sha256 of the whole partial file. */
  sha256: string;
  /** Whether it begins with bytes that were there before this URL was asked (an earlier mirror's, an earlier run's). */
  resumed: boolean;
}

/** Fetches url into the partial file, resuming it, and returns the sha256 of the whole. */
async function downloadOne(url: string, options: DownloadOptions): Promise<Fetched> {
  const resumes = options.resumes ?? 5;
  const state = { fromStart: (await sizeOf(options.partialPath)) === 0 };
  for (let attempt = 0; ; attempt++) {
    const have = await sizeOf(options.partialPath);
    try {
      const sha256 = await fetchFrom(url, have, options, state);
      return { sha256, resumed: !state.fromStart };
    } catch (err) {
      if (options.signal?.aborted) throw new InterruptedError(`download of ${url}`);
      // 416: the partial file is as long as the file, or longer: a run that
      // stopped after the last byte and before the rename. Its sha256 decides.
      if (have > 0 && statusOf(err) === 416) return { sha256: await sha256File(options.partialPath), resumed: true };
      const progressed = (await sizeOf(options.partialPath)) > have;
      // Only a dropped transfer that was making progress is worth resuming.
      if (attempt < resumes && progressed && isDropped(err)) continue;
      throw err;
    }
  }
}

async function sizeOf(file: string): Promise<number> {
  return existsSync(file) ? (await stat(file)).size : 0;
}

async function fetchFrom(
  url: string,
  offset: number,
  options: DownloadOptions,
  state: { fromStart: boolean },
): Promise<string> {
  // got (23 modules) loads only when something is downloaded: a build with everything cached never pays for it
  const { default: got } = await import('got');
  const stream = got.stream(url, {
    headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
    retry: { limit: 0 },
    timeout: { lookup: 10_000, connect: 15_000, socket: 60_000 },
    decompress: false,
  });
  // not got's signal option: it keeps a listener on the signal after the body ends, one per file fetched
  const stop = () => stream.destroy(new Error('interrupted'));
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) stop();
  try {
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
    } else {
      state.fromStart = true;
      if (offset > 0) await truncate(options.partialPath, 0);
    }
    let length = append ? offset : 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, done) {
        length += chunk.length;
        if (options.maxBytes !== undefined && length > options.maxBytes) {
          done(new Error(`longer than the ${options.maxBytes} bytes expected`));
          return;
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    // opened before the first byte arrives: a stream that opens lazily holds what it is given until then,
    // and an interrupt in that window dropped bytes the progress line had already counted
    const partial = await open(options.partialPath, append ? 'a' : 'w');
    await pipeline(stream, hashing, partial.createWriteStream());
    return hash.digest('hex');
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
}

function isDropped(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return (
    ['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'ETIMEDOUT', 'EPIPE', 'ERR_GOT_REQUEST_ERROR'].includes(code ?? '') ||
    (err as Error).name === 'ReadError'
  );
}

function statusOf(err: unknown): number | undefined {
  if ((err as Error).name !== 'HTTPError') return undefined;
  return (err as { response?: { statusCode?: number } }).response?.statusCode;
}

function describe(err: unknown): string {
  const status = statusOf(err);
  if (status) return `HTTP ${status}`;
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}` : e.message;
}
