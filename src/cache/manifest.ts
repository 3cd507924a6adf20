import * as z from 'zod';
import { LabError } from '../errors.js';
import type { EntryPin } from '../lock/lock.js';
import { sha256 } from '../util/hash.js';

/**
 * A store entry's file list: every regular file by path, size, mode and
 * sha256, in one canonical text whose sha256 lab.lock pins. A class cache
 * serves this text and the files it names; lab checks the text against the
 * lock before reading a line of it, then every file against the text (pure).
 */
export const MANIFEST_FORMAT = 'lab-cache-entry/1';

/** Bounds on what a cache may ask lab to fetch: a forged list cannot fill a disk or exhaust memory. */
export const MANIFEST_LIMITS = {
  textBytes: 8 << 20,
  files: 100_000,
  pathChars: 1024,
  segmentChars: 255,
  entryBytes: 32 * 2 ** 30,
} as const;

export interface ManifestFile {
  path: string;
  size: number;
  /** 755 for an executable, else 644: the only modes a store entry holds. */
  mode: '644' | '755';
  sha256: string;
}

export interface Manifest {
  /** kind/key of the store entry. */
  entry: string;
  files: ManifestFile[];
}

const ManifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  entry: z.string().regex(/^(kernels|rootfs)\/[0-9a-f]{32}$/),
  files: z
    .array(
      z.strictObject({
        path: z.string(),
        size: z.number().int().min(0).max(MANIFEST_LIMITS.entryBytes),
        mode: z.enum(['644', '755']),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
      }),
    )
    .max(MANIFEST_LIMITS.files),
});

const byPath = (a: ManifestFile, b: ManifestFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** The canonical text: fixed field order, files sorted by path, so one entry has one text. */
export function manifestText(m: Manifest): string {
  const files = [...m.files].sort(byPath).map((f) => ({ path: f.path, size: f.size, mode: f.mode, sha256: f.sha256 }));
  return JSON.stringify({ format: MANIFEST_FORMAT, entry: m.entry, files }, null, 1) + '\n';
}

export function manifestDigest(m: Manifest): string {
  return sha256(manifestText(m));
}

/** Why a path from a file list cannot be a file of a store entry, or undefined when it can. */
export function entryPathProblem(p: string): string | undefined {
  if (p.length === 0 || p.length > MANIFEST_LIMITS.pathChars) return 'is empty or too long';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(p)) return 'holds a control character or a backslash';
  if (p.startsWith('/')) return 'is absolute';
  for (const segment of p.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return `has a "${segment}" segment`;
    if (segment.length > MANIFEST_LIMITS.segmentChars) return 'has a name longer than 255 characters';
  }
  return undefined;
}

function refused(where: string, what: string): LabError {
  return new LabError('CACHE_REFUSED', `${where}: ${what}`);
}

/**
 * A file list fetched from a cache, checked: its sha256 must be the lock's
 * pin before it is parsed, then every path must stay inside the entry, name
 * one file once, and never be both a file and a folder (pure).
 */
export function parseManifest(text: string, pin: EntryPin, where: string): Manifest {
  const got = sha256(text);
  if (got !== pin.files) {
    throw refused(where, `its file list has sha256 ${got.slice(0, 12)}…, lab.lock pins ${pin.files.slice(0, 12)}…`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw refused(where, 'its file list is not JSON');
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) throw refused(where, `its file list is not ${MANIFEST_FORMAT}`);
  const m = parsed.data;
  if (m.entry !== pin.entry) throw refused(where, `its file list is for ${m.entry}, lab.lock pins ${pin.entry}`);
  const files = new Set<string>();
  let bytes = 0;
  for (const f of m.files) {
    const problem = entryPathProblem(f.path);
    if (problem) throw refused(where, `a path in its file list ${problem}`);
    if (files.has(f.path)) throw refused(where, `its file list names ${f.path} twice`);
    files.add(f.path);
    bytes += f.size;
  }
  if (bytes > MANIFEST_LIMITS.entryBytes) throw refused(where, `its files add up to more than 32 GiB`);
  for (const f of files) {
    const parts = f.split('/');
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/');
      if (files.has(folder)) throw refused(where, `its file list has ${folder} as a file and as a folder`);
    }
  }
  return { entry: m.entry, files: m.files };
}

/** Where a cache keeps one entry's file list, and one file by its sha256 (content-addressed). */
export const cacheLayout = {
  manifest: (entry: string) => `entries/${entry}.json`,
  file: (hash: string) => `files/${hash.slice(0, 2)}/${hash}`,
};
