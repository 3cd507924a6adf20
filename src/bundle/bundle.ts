import { lstat, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';
import tmp from 'tmp';
import * as z from 'zod';
import { InterruptedError, LabError } from '../errors.js';
import { sizeInWords } from '../util/checked-file.js';
import { sha256File } from '../util/hash.js';
import { terminalText } from '../util/terminal-text.js';
import { BUNDLE_LIMITS, entryProblem, type BundleLimits } from './entries.js';
import { evidenceProblem } from './evidence.js';
import { unpackBundle, unpackProblem } from './unpack.js';

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
/** bundle.json's most: 5,000 files listed at about 150 bytes each. */
const MANIFEST_BYTES = 4 * 1024 * 1024;

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

/**
 * Why lab check would refuse a bundle of these files (sizes by path in the
 * bundle, bundle.json aside), or undefined (pure): lab pack asks before it
 * packs, so a student never hands in what the teacher's check refuses.
 */
export function packProblem(runs: string[], sizes: Map<string, number>, limits = BUNDLE_LIMITS): string | undefined {
  if (sizes.size + 1 > limits.entries)
    return `it would hold ${sizes.size + 1} files (lab check takes at most ${limits.entries})`;
  const total = [...sizes.values()].reduce((a, b) => a + b, 0);
  if (total > limits.unpackedBytes)
    return `it would unpack to ${sizeInWords(total)} (lab check takes at most ${sizeInWords(limits.unpackedBytes)})`;
  return evidenceProblem(runs, sizes);
}

export interface OpenedBundle {
  dir: string;
  manifest: BundleManifest;
  /** Removes the temporary directory; safe to call twice. */
  close(): void;
}

/**
 * A bundle unpacked into a temporary directory (the tmp package) in one
 * pass (unpack.ts), its entries checked as they come: too big, too many, a
 * path out of the tree, a link, a device, bytes after the archive's end, a
 * file not listed or not matching its sha256 each refuse it with one line.
 * The directory is removed on every exit path: by close(), on error here,
 * and by tmp's exit handler if the process dies first. An abort of signal
 * stops it at once: InterruptedError.
 */
export async function openBundle(
  file: string,
  limits: BundleLimits = BUNDLE_LIMITS,
  signal?: AbortSignal,
): Promise<OpenedBundle> {
  const refuse = (why: string) =>
    new LabError('BUNDLE_REFUSED', `${path.basename(file)} refused: ${terminalText(why, 300)}`);
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) throw new LabError('BUNDLE_MISSING', `${file} is not a file`);
  if (st.size > limits.compressedBytes)
    throw refuse(`it is ${sizeInWords(st.size)} (the limit is ${sizeInWords(limits.compressedBytes)})`);
  const scratch = tmp.dirSync({ prefix: 'lab-check-', unsafeCleanup: true });
  let closed = false;
  const close = () => {
    if (!closed) scratch.removeCallback();
    closed = true;
  };
  try {
    await unpackBundle(file, scratch.name, limits, signal).catch((err: unknown) => {
      if (signal?.aborted) throw new InterruptedError('lab check');
      throw refuse(unpackProblem(err));
    });
    const manifest = await readManifest(scratch.name, refuse);
    if (Object.keys(manifest.files).length > limits.entries)
      throw refuse(`${BUNDLE_MANIFEST} lists more than ${limits.entries} files`);
    const present = (await regularFiles(scratch.name)).filter((f) => f !== BUNDLE_MANIFEST);
    const unlisted = present.find((f) => !(f in manifest.files));
    if (unlisted) throw refuse(`${unlisted} is not listed in ${BUNDLE_MANIFEST}`);
    const sizes = new Map<string, number>();
    for (const [rel, want] of Object.entries(manifest.files)) {
      if (signal?.aborted) throw new InterruptedError('lab check');
      const full = path.join(scratch.name, rel);
      const info = entryProblem({ path: rel, type: 'File', size: 0 })
        ? undefined
        : await lstat(full).catch(() => undefined);
      if (!info?.isFile()) throw refuse(`${rel} is listed but missing`);
      const hash = await sha256File(full, { code: 'BUNDLE_REFUSED', links: 'refuse' });
      if (hash !== want) throw refuse(`${rel} does not match its sha256 in ${BUNDLE_MANIFEST}`);
      sizes.set(rel, info.size);
    }
    const tooMuch = evidenceProblem(manifest.runs, sizes);
    if (tooMuch) throw refuse(tooMuch);
    return { dir: scratch.name, manifest, close };
  } catch (err) {
    close();
    throw err;
  }
}

/** bundle.json, read within its limit and checked against its schema. */
async function readManifest(dir: string, refuse: (why: string) => LabError): Promise<BundleManifest> {
  const file = path.join(dir, BUNDLE_MANIFEST);
  const info = await lstat(file).catch(() => undefined);
  if (!info) throw refuse(`it has no ${BUNDLE_MANIFEST}`);
  if (!info.isFile()) throw refuse(`${BUNDLE_MANIFEST} is not a file`);
  if (info.size > MANIFEST_BYTES)
    throw refuse(`${BUNDLE_MANIFEST} is ${sizeInWords(info.size)} (the limit is ${sizeInWords(MANIFEST_BYTES)})`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    throw refuse(`${BUNDLE_MANIFEST} is not JSON`);
  }
  const parsed = BundleManifestSchema.safeParse(json);
  if (!parsed.success)
    throw refuse(`${BUNDLE_MANIFEST}: ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}
