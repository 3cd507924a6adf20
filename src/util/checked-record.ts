import { existsSync } from 'node:fs';
import type { z } from 'zod';
import { readCheckedText, readCheckedTextSync, type CheckedRead } from './checked-file.js';
import { parseCheckedJson, type CheckOptions } from './checked-json.js';

/** What lab reads of one JSON record at most: far more than any record it writes. */
export const RECORD_BYTES = 4 * 1024 * 1024;

export type RecordRead = Omit<CheckedRead, 'maxBytes'> & { maxBytes?: number } & Pick<CheckOptions, 'allowedKeysAt'>;

function asRead(read: RecordRead): CheckedRead {
  return { ...read, maxBytes: read.maxBytes ?? RECORD_BYTES };
}

/**
 * A JSON file lab did not just write, read as checked-file reads (a regular
 * file, bounded, no last-component link unless asked), parsed without
 * quoting it, and checked against its schema: one line naming the file and
 * the key for anything wrong.
 */
export async function readCheckedJson<S extends z.ZodType>(
  file: string,
  schema: S,
  read: RecordRead,
): Promise<z.infer<S>> {
  const text = await readCheckedText(file, asRead(read));
  return parseCheckedJson(text, file, schema, read.code, read);
}

export function readCheckedJsonSync<S extends z.ZodType>(file: string, schema: S, read: RecordRead): z.infer<S> {
  return parseCheckedJson(readCheckedTextSync(file, asRead(read)), file, schema, read.code, read);
}

/** readCheckedJson, or undefined when there is no such file at all. */
export async function readCheckedJsonIfAny<S extends z.ZodType>(
  file: string,
  schema: S,
  read: RecordRead,
): Promise<z.infer<S> | undefined> {
  return existsSync(file) ? readCheckedJson(file, schema, read) : undefined;
}
