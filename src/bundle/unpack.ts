import { createReadStream } from 'node:fs';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar';
import { sizeInWords } from '../util/checked-file.js';
import { terminalText } from '../util/terminal-text.js';
import { entryProblem } from './entries.js';
import { TarProblem, TarWalk, TRAILING_MAX } from './tar-walk.js';

export interface UnpackLimits {
  /** What is read of the .tar.gz at most. */
  compressedBytes: number;
  unpackedBytes: number;
  entries: number;
}

/**
 * The inflated bytes between the gunzip and the tar reader, counted and
 * walked (tar-walk.ts): past a limit, or after the archive's end, the
 * pipeline stops with a TarProblem. Nothing after the end is passed on.
 */
function guard(limits: UnpackLimits): Transform {
  const walk = new TarWalk(limits);
  // every byte of a tar the walk lets through: headers, data rounded to 512, the end, its padding
  const most = limits.unpackedBytes + (limits.entries + 2) * 1024 + TRAILING_MAX;
  let inflated = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      inflated += chunk.length;
      try {
        if (inflated > most) throw new TarProblem(`it inflates to more than ${sizeInWords(most)}`);
        const part = walk.take(chunk);
        done(null, part.length ? part : undefined);
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done) {
      try {
        walk.finish();
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
}

/**
 * node-tar's extractor as a Writable, so the pipeline waits for it and
 * tears it down: it writes into dir, strict (a damaged header is an error),
 * and its filter refuses an entry entryProblem refuses, which stops it.
 */
function extractor(dir: string): Writable {
  let refused: TarProblem | undefined;
  const unpack = tar.x({
    cwd: dir,
    strict: true,
    preserveOwner: false,
    // the files' times are never read: one system call less for each of up to 5,000 files
    noMtime: true,
    filter: (_path, e) => {
      const entry = e as tar.ReadEntry;
      const problem = entryProblem({ path: entry.path, type: entry.type, size: entry.size ?? 0 });
      if (problem) refused ??= new TarProblem(problem);
      return problem === undefined;
    },
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const flowing = unpack.write(chunk);
      if (refused) done(refused);
      else if (flowing) done();
      else unpack.once('drain', () => done(refused));
    },
    final(done) {
      unpack.once('close', () => done(refused));
      unpack.end();
    },
    destroy(err, done) {
      if (err) unpack.abort(err);
      done(err);
    },
  });
  unpack.on('error', (err: Error) => sink.destroy(refused ?? err));
  return sink;
}

/**
 * A .tar.gz unpacked into dir in one pass: file → gunzip → guard → node-tar,
 * so the bundle is read once, never more than compressedBytes of it, and
 * abort stops it at once. Rejects with a TarProblem (why the bundle is
 * refused), the signal's reason, or zlib's or node-tar's error.
 */
export async function unpackBundle(
  file: string,
  dir: string,
  limits: UnpackLimits,
  signal?: AbortSignal,
): Promise<void> {
  await pipeline(
    createReadStream(file, { end: limits.compressedBytes }),
    createGunzip(),
    guard(limits),
    extractor(dir),
    signal ? { signal } : {},
  );
}

/** Why an unpack error refuses the bundle, in words (entry names in them escaped). */
export function unpackProblem(err: unknown): string {
  if (err instanceof TarProblem) return err.message;
  const message = terminalText(err instanceof Error ? err.message : String(err), 160);
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (code.startsWith('Z_') || /incorrect header check|unexpected end of file/.test(message))
    return `it is not a .tar.gz (${message})`;
  return `it does not unpack (${message})`;
}
