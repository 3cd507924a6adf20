import { existsSync, statSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { InterruptedError, LabError } from '../errors.js';
import type { Source } from '../config/profile.js';
import type { Store } from '../store/store.js';
import { keyOf } from '../util/hash.js';
import { sha256FileMemo } from '../store/file-memo.js';
import { debExtractCommand, extractTarball } from './extract.js';
import { executeChecked } from '../process/runner.js';
import { download } from './download.js';
import type { Progress, Stage } from '../progress/progress.js';

export interface MaterializedSource {
  /** The identity of the source: a tarball's sha256, or a fingerprint of a directory. */
  id: string;
  /** The pristine, extracted tree. */
  tree: string;
  tarball?: string;
  origin: string;
}

type Fetched = Extract<Source, { kind: 'url' | 'deb' }>;

/** The URLs to try for a url source, primary first. */
export function candidateUrls(source: Pick<Fetched, 'url' | 'mirrors'>): string[] {
  return [source.url, ...source.mirrors.filter((m) => m !== source.url)];
}

/** Where a downloaded file lives in the store: named by its sha256, so it is verified by name. */
export function downloadEntryKey(sha256: string): string {
  return sha256;
}

/** True when the source's bytes are already in the store (nothing to fetch). */
export function isStored(store: Store, source: Source): boolean {
  if (source.kind !== 'url' && source.kind !== 'deb') return true;
  return store.has('sources', source.sha256) || store.has('downloads', source.sha256);
}

export async function materializeSource(
  store: Store,
  source: Source,
  options: { progress: Progress; signal?: AbortSignal; what: string },
): Promise<MaterializedSource> {
  switch (source.kind) {
    case 'url': {
      const name = path.basename(new URL(source.url).pathname);
      const tarball = store.has('sources', source.sha256)
        ? undefined
        : await fetchToStore(store, source, name, options);
      const tree = await extractToStore(store, source.sha256, tarball, options);
      return { id: source.sha256, tree, tarball, origin: source.url };
    }
    case 'deb': {
      if (store.has('sources', source.sha256))
        return { id: source.sha256, tree: store.entry('sources', source.sha256), origin: source.url };
      const deb = await fetchToStore(store, source, path.basename(new URL(source.url).pathname), options);
      const scratch = await store.scratch('deb');
      try {
        await executeChecked(debExtractCommand(deb, scratch), { signal: options.signal });
        const tarball = path.join(scratch, source.member);
        if (!existsSync(tarball)) {
          throw new LabError('DEB_INVALID', `${path.basename(deb)} has no ${source.member}`, {
            hint: 'check the package URL and the member path',
          });
        }
        const tree = await extractToStore(store, source.sha256, tarball, options);
        return { id: source.sha256, tree, tarball: deb, origin: source.url };
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    }
    case 'debian-package':
    case 'file': {
      const { sha256 } = await verifyLocalTarball(store, source);
      const tree = await extractToStore(store, sha256, source.path, options);
      return { id: sha256, tree, tarball: source.path, origin: source.path };
    }
    case 'dir': {
      const tree = path.resolve(source.path);
      if (!statSync(tree, { throwIfNoEntry: false })?.isDirectory()) {
        throw new LabError('SOURCE_MISSING', `${tree} is not a directory`, { hint: 'give a kernel source tree' });
      }
      if (existsSync(path.join(tree, '.config')) || existsSync(path.join(tree, 'include', 'config'))) {
        throw new LabError('SOURCE_NOT_PRISTINE', `${tree} has been configured or built in place`, {
          hint: `run "make mrproper" in it first: lab builds out of tree (O=) and needs a pristine source`,
        });
      }
      return { id: await fingerprintTree(tree), tree, origin: tree };
    }
  }
}

/** A local tarball's sha256, checked against the one given; a missing Debian package names itself. */
async function verifyLocalTarball(
  store: Store,
  source: Extract<Source, { kind: 'file' | 'debian-package' }>,
): Promise<{ sha256: string }> {
  if (!existsSync(source.path)) {
    throw source.kind === 'debian-package'
      ? new LabError('SOURCE_PACKAGE_MISSING', `${source.path} is missing`, {
          hint: `install it with: apt-get install ${source.package}`,
        })
      : new LabError('SOURCE_MISSING', `${source.path} does not exist`, {
          hint: 'give an existing tarball, directory or URL',
        });
  }
  const sha256 = await sha256FileMemo(store, source.path);
  if (source.kind === 'file' && source.sha256 && source.sha256 !== sha256) {
    throw new LabError('SHA256_MISMATCH', `${source.path} has sha256 ${sha256}, expected ${source.sha256}`, {
      hint: 'check the file or the sha256 you gave',
    });
  }
  return { sha256 };
}

/** The verified tarball of a url or file source, fetched into the store if needed (no extraction). */
export async function ensureTarball(
  store: Store,
  source: Source,
  options: { progress: Progress; signal?: AbortSignal; what: string },
): Promise<{ path: string; sha256: string }> {
  switch (source.kind) {
    case 'url':
      return { path: await ensureDownload(store, source, options), sha256: source.sha256 };
    case 'file':
    case 'debian-package':
      return { path: source.path, sha256: (await verifyLocalTarball(store, source)).sha256 };
    case 'dir':
      throw new LabError('SOURCE_KIND', `${options.what} needs a tarball, not the directory ${source.path}`, {
        hint: 'give a .tar.xz',
      });
    case 'deb':
      throw new LabError('SOURCE_KIND', `${options.what} needs a tarball, not the Debian package ${source.url}`, {
        hint: 'give a .tar.xz',
      });
  }
}

/** A file fetched by URL (then its mirrors) into the store and verified by its sha256, not unpacked: its path. */
export function ensureDownload(
  store: Store,
  file: Pick<Fetched, 'url' | 'sha256' | 'mirrors'>,
  options: { progress: Progress; signal?: AbortSignal; what: string },
): Promise<string> {
  return fetchToStore(store, file, path.basename(new URL(file.url).pathname), options);
}

async function fetchToStore(
  store: Store,
  source: Pick<Fetched, 'url' | 'sha256' | 'mirrors'>,
  name: string,
  options: { progress: Progress; signal?: AbortSignal; what: string },
): Promise<string> {
  const entry = store.entry('downloads', downloadEntryKey(source.sha256));
  const file = path.join(entry, name);
  if (existsSync(file)) return file;
  // one download per file: two would append to the same partial file
  return store.locked(`downloads/${downloadEntryKey(source.sha256)}`, async () => {
    if (existsSync(file)) return file;
    const stage = options.progress.stage(`fetch ${name}`);
    await ending(
      stage,
      download(candidateUrls(source), source.sha256, file, {
        partialPath: path.join(store.root, 'partial', `${source.sha256}.part`),
        signal: options.signal,
        onProgress: (p) =>
          stage.update(
            p.total ? { done: p.transferred, total: p.total, unit: 'bytes' } : { done: p.transferred, unit: 'bytes' },
          ),
      }),
    );
    return file;
  });
}

async function extractToStore(
  store: Store,
  id: string,
  tarball: string | undefined,
  options: { progress: Progress; signal?: AbortSignal; what: string },
): Promise<string> {
  if (store.has('sources', id)) return store.entry('sources', id);
  if (!tarball) throw new Error(`no tarball for source ${id}`);
  const stage = options.progress.stage(`extract ${path.basename(tarball)}`);
  const { path: tree } = await ending(
    stage,
    store.ensure('sources', id, async (dir) => {
      await extractTarball(tarball, dir, { what: `extracting ${path.basename(tarball)}`, signal: options.signal });
      if (!existsSync(path.join(dir, 'Makefile'))) {
        throw new LabError('SOURCE_INVALID', `${path.basename(tarball)} has no top-level Makefile`, {
          hint: 'give a tarball of a kernel source tree',
        });
      }
    }),
  );
  return tree;
}

/**
 * Ends the stage however work ends: a stage left open keeps redrawing its line
 * on a terminal, over the next one's (the fallback profile's fetch).
 */
async function ending<T>(stage: Stage, work: Promise<T>): Promise<T> {
  try {
    const result = await work;
    stage.done();
    return result;
  } catch (err) {
    stage.done(err instanceof InterruptedError ? 'interrupted' : 'failed');
    throw err;
  }
}

/**
 * A directory's identity: names, sizes and mtimes of every file
 * (content hashing 70k files would take longer than building).
 */
async function fingerprintTree(root: string): Promise<string> {
  const rows: string[] = [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath, e.name);
    const st = statSync(full);
    rows.push(`${path.relative(root, full)}\t${st.size}\t${st.mtimeMs}`);
  }
  rows.sort();
  return `dir-${keyOf(rows)}`;
}
