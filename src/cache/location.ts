import path from 'node:path';
import { LabError } from '../errors.js';
import { looksLikeUrl, urlProblem } from '../util/url.js';

/**
 * Where a class cache is: a web server's folder (http or https: every byte is
 * checked against lab.lock, so the transport need not be trusted) or a folder
 * on a shared filesystem, as lab publish wrote it.
 */
export type CacheLocation = { kind: 'url'; base: string } | { kind: 'dir'; dir: string };

/** lab.json's "cache", a URL or a path relative to lab.json (pure). */
export function cacheLocation(value: string, labDir: string): CacheLocation {
  if (looksLikeUrl(value)) {
    const problem = urlProblem(value, ['https', 'http']);
    if (problem) throw new LabError('LAB_FILE_INVALID', `the class cache ${JSON.stringify(value)} ${problem}`);
    return { kind: 'url', base: value.endsWith('/') ? value : `${value}/` };
  }
  if (value.length === 0 || value.includes('\0'))
    throw new LabError('LAB_FILE_INVALID', 'the class cache is an empty path');
  return { kind: 'dir', dir: path.resolve(labDir, value) };
}

/** The cache as a person named it, for messages. */
export function describeCache(cache: CacheLocation): string {
  return cache.kind === 'url' ? cache.base : cache.dir;
}

/** A file of the cache by its layout path (cache/manifest.ts's cacheLayout, never a path from the cache). */
export function cacheFile(cache: CacheLocation, rel: string): string {
  return cache.kind === 'url' ? new URL(rel, cache.base).toString() : path.join(cache.dir, rel);
}
