import { lstat, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';
import tmp from 'tmp';
import { z } from 'zod';
import { LabError } from '../errors.js';
import { sha256File } from '../util/hash.js';
import { bundleProblem, BUNDLE_LIMITS, entryProblem, type BundleLimits, type TarEntryInfo } from './entries.js';

/**
 * A hand-in bundle: one .tar.gz (the tar package) holding bundle.json, the
 * lab's build.json, the config diff and the runs. bundle.json lists every
 * other file with its sha256, so lab check sees a file changed or added.
 */
export const BUNDLE_VERSION = 1;
export const BUNDLE_MANIFEST = 'bundle.json';

/** A student's or a lab's name as a bundle carries it: plain, so it prints as itself. */
export const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const PLAIN_NAME_MAX = 64;
const plainName = (what: string) =>
  z
    .string()
    .max(PLAIN_NAME_MAX, `a ${what} name is at most ${PLAIN_NAME_MAX} characters`)
    .regex(PLAIN_NAME, `a ${what} name is letters, digits, ".", "_" and "-"`);

export const BundleManifestSchema = z.strictObject({
  bundleVersion: z.literal(BUNDLE_VERSION),
  lab: plainName('lab'),
  student: plainName('student'),
  createdAt: z.string().max(64),
  lockDigest: z.string().max(128).nullable(),
  runs: z.array(z.string().max(200).regex(PLAIN_NAME)).max(500),
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
});
export type BundleManifest = z.infer<typeof BundleManifestSchema>;

tmp.setGracefulCleanup();

/** Every regular file under dir, relative, sorted; links and anything else are left out. */
export async function regularFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath, e.name)));
  }
  return out.sort();
}

/** Hashes of the files, as bundle.json lists them. */
export async function fileHashes(root: string, files: string[]): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const f of files) hashes[f] = await sha256File(path.join(root, f));
  return hashes;
}

/** Writes the bundle of stagedDir's files (bundle.json first) to out, whole or not at all. */
export async function writeBundle(stagedDir: string, files: string[], out: string): Promise<void> {
  const partial = `${out}.partial`;
  try {
    await tar.create(
      { gzip: true, file: partial, cwd: stagedDir, portable: true, noDirRecurse: true, mtime: new Date(0) },
      [BUNDLE_MANIFEST, ...files.filter((f) => f !== BUNDLE_MANIFEST)],
    );
    await rename(partial, out);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

/** The entries of a .tar.gz, read without writing anything. */
async function listEntries(file: string): Promise<TarEntryInfo[]> {
  const entries: TarEntryInfo[] = [];
  await tar.list({
    file,
    strict: true,
    onReadEntry: (e) => void entries.push({ path: e.path, type: e.type, size: e.size ?? 0 }),
  });
  return entries;
}

export interface OpenedBundle {
  dir: string;
  manifest: BundleManifest;
  /** Removes the temporary directory; safe to call twice. */
  close(): void;
}

/**
 * A bundle unpacked into a temporary directory (the tmp package), after its
 * entries were checked: too big, a path out of the tree, a link, a device,
 * a file not listed or not matching its sha256 each refuse it with one line.
 * The directory is removed on every exit path: by close(), on error here,
 * and by tmp's exit handler if the process dies first.
 */
export async function openBundle(file: string, limits: BundleLimits = BUNDLE_LIMITS): Promise<OpenedBundle> {
  const refuse = (why: string) => new LabError('BUNDLE_REFUSED', `${path.basename(file)} refused: ${why}`);
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) throw new LabError('BUNDLE_MISSING', `${file} is not a file`);
  if (st.size > limits.compressedBytes)
    throw refuse(`it is ${(st.size / 2 ** 20).toFixed(1)} MiB (the limit is ${limits.compressedBytes >> 20} MiB)`);
  let entries: TarEntryInfo[];
  try {
    entries = await listEntries(file);
  } catch (err) {
    throw refuse(`it is not a .tar.gz (${(err as Error).message})`);
  }
  if (entries.length === 0) throw refuse('it holds nothing');
  const problem = bundleProblem(entries, limits);
  if (problem) throw refuse(problem);

  const scratch = tmp.dirSync({ prefix: 'lab-check-', unsafeCleanup: true });
  let closed = false;
  const close = () => {
    if (!closed) scratch.removeCallback();
    closed = true;
  };
  try {
    let written = 0;
    const extracting = tar.extract({
      file,
      cwd: scratch.name,
      strict: true,
      preserveOwner: false,
      // checked again as written: the list above and this pass read the same bytes, but never trust that
      filter: (_p, e) => {
        const info = {
          path: (e as tar.ReadEntry).path,
          type: (e as tar.ReadEntry).type,
          size: (e as tar.ReadEntry).size ?? 0,
        };
        written += info.size;
        return entryProblem(info) === undefined && written <= limits.unpackedBytes;
      },
    });
    await extracting.catch((err: Error) => {
      throw refuse(`it does not unpack (${err.message})`);
    });
    const manifestFile = path.join(scratch.name, BUNDLE_MANIFEST);
    const text = await readFile(manifestFile, 'utf8').catch(() => undefined);
    if (text === undefined) throw refuse(`it has no ${BUNDLE_MANIFEST}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw refuse(`${BUNDLE_MANIFEST} is not JSON`);
    }
    const parsed = BundleManifestSchema.safeParse(json);
    if (!parsed.success)
      throw refuse(`${BUNDLE_MANIFEST}: ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`);
    const manifest = parsed.data;
    const present = (await regularFiles(scratch.name)).filter((f) => f !== BUNDLE_MANIFEST);
    const unlisted = present.find((f) => !(f in manifest.files));
    if (unlisted) throw refuse(`${unlisted} is not listed in ${BUNDLE_MANIFEST}`);
    for (const [rel, want] of Object.entries(manifest.files)) {
      const full = path.join(scratch.name, rel);
      if (entryProblem({ path: rel, type: 'File', size: 0 }) || !(await lstat(full).catch(() => undefined))?.isFile())
        throw refuse(`${rel} is listed but missing`);
      if ((await sha256File(full)) !== want) throw refuse(`${rel} does not match its sha256 in ${BUNDLE_MANIFEST}`);
    }
    return { dir: scratch.name, manifest, close };
  } catch (err) {
    close();
    throw err;
  }
}
