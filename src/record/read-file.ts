import { lstat } from 'node:fs/promises';
import type { z } from 'zod';
import { LabError } from '../errors.js';
import { readCheckedText, parseJsonQuietly, type CheckedRead } from '../util/checked-file.js';
import { describeIssue } from '../util/checked-json.js';
import { RUN_FILES, runFile, type RunFileKey } from './files.js';

const MiB = 1024 * 1024;

/**
 * The most lab reads of a run file: a JSON record is small; a trace or a
 * recording may be large, and stays under what one Node string holds.
 */
const JSON_MAX = 64 * MiB;
const DATA_MAX = 256 * MiB;

function checks(key: RunFileKey): CheckedRead {
  const data = key === 'hits' || key === 'trace' || key === 'samples' || key === 'snapshots' || key.endsWith('Folded');
  return { code: 'RUN_DAMAGED', maxBytes: data ? DATA_MAX : JSON_MAX };
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new LabError('RUN_DAMAGED', `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/**
 * A run file's text, or undefined when the run has none. Whatever is there
 * is read as util/checked-file.ts reads: a regular file, no link, bounded; a
 * problem is one RUN_DAMAGED error naming the file, never quoting it.
 */
export async function readRunText(dir: string, key: RunFileKey): Promise<string | undefined> {
  const file = runFile(dir, key);
  if (!(await exists(file))) return undefined;
  return readCheckedText(file, checks(key));
}

/** A value checked against its schema: what is wrong is said by key, never by value. */
export function checkedValue<S extends z.ZodType>(value: unknown, schema: S, where: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return value as z.infer<S>;
  const issue = r.error.issues[0]!;
  const key = issue.path.length ? `${issue.path.join('.')}: ` : '';
  throw new LabError('RUN_DAMAGED', `${where} is not what lab writes (${key}${describeIssue(issue)})`);
}

/** A JSON run file checked against its schema, or undefined when the run has none. */
export async function readRunJson<S extends z.ZodType>(
  dir: string,
  key: RunFileKey,
  schema: S,
): Promise<z.infer<S> | undefined> {
  const text = await readRunText(dir, key);
  if (text === undefined) return undefined;
  const file = runFile(dir, key);
  return checkedValue(parseJsonQuietly(text, file, 'RUN_DAMAGED'), schema, file);
}

/** A JSON-lines run file, each line checked against its schema. */
export function parseJsonLines<S extends z.ZodType>(text: string, file: string, schema: S): Array<z.infer<S>> {
  const values: Array<z.infer<S>> = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new LabError('RUN_DAMAGED', `${file} line ${i + 1} is not JSON`);
    }
    values.push(checkedValue(value, schema, `${file} line ${i + 1}`));
  });
  return values;
}

export async function readRunJsonLines<S extends z.ZodType>(
  dir: string,
  key: RunFileKey,
  schema: S,
): Promise<Array<z.infer<S>> | undefined> {
  const text = await readRunText(dir, key);
  return text === undefined ? undefined : parseJsonLines(text, runFile(dir, key), schema);
}

/** A run directory's manifest: its absence means the directory is no run. */
export async function readRunManifestOf<S extends z.ZodType>(dir: string, schema: S): Promise<z.infer<S>> {
  const manifest = await readRunJson(dir, 'manifest', schema);
  if (manifest === undefined)
    throw new LabError('RUN_UNKNOWN', `${dir} is not a run directory (no ${RUN_FILES.manifest})`);
  return manifest;
}
