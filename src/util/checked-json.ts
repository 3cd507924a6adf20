import type { z } from 'zod';
import { LabError, type ErrorCode } from '../errors.js';
import { parseJsonQuietly, withoutBom } from './checked-file.js';

/** One zod issue in words, for a file a person wrote. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key "${issue.keys.join('", "')}"`;
  if (issue.code === 'invalid_key') return `the key is not ${issue.issues[0]?.message ?? 'allowed'}`;
  if (issue.code === 'invalid_value' && 'values' in issue)
    return `${issue.message} (allowed: ${(issue.values as unknown[]).join(', ')})`;
  return issue.message;
}

/**
 * The issue to show: for a value that matched none of a union's shapes (a
 * scenario step), the one from the shape it went furthest into, with its
 * whole path, instead of zod's bare "Invalid input".
 */
export function deepestIssue(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union' || !('errors' in issue)) return issue;
  let best: z.core.$ZodIssue = issue;
  for (const branch of issue.errors as z.core.$ZodIssue[][]) {
    const first = branch[0];
    if (!first) continue;
    const inner = deepestIssue({ ...first, path: [...issue.path, ...first.path] });
    if (inner.path.length > best.path.length) best = inner;
  }
  return best;
}

export interface CheckOptions {
  hint?: string;
  allowedKeysAt?: (at: PropertyKey[]) => string[] | undefined;
}

/**
 * A value parsed from a file, checked against its schema: anything wrong is
 * one LabError naming the file, the key and what is wrong, and for an
 * unknown key the keys allowed there.
 */
export function checkAgainst<S extends z.ZodType>(
  json: unknown,
  file: string,
  schema: S,
  code: ErrorCode,
  options: CheckOptions = {},
): z.infer<S> {
  const r = schema.safeParse(json);
  if (r.success) return r.data;
  const issue = deepestIssue(r.error.issues[0]!);
  const key = issue.path.length ? issue.path.join('.') : '(top level)';
  const allowed = issue.code === 'unrecognized_keys' ? options.allowedKeysAt?.(issue.path) : undefined;
  throw new LabError(
    code,
    `${file}: ${key}: ${describeIssue(issue)}${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`,
    options.hint ? { hint: options.hint } : {},
  );
}

/**
 * A JSON file a person wrote, checked against its schema (checkAgainst); text
 * that is not JSON is named by where it stops being JSON, never quoted.
 */
export function parseCheckedJson<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  code: ErrorCode,
  options: CheckOptions = {},
): z.infer<S> {
  const json = parseJsonQuietly(withoutBom(text), file, code, options.hint);
  return checkAgainst(json, file, schema, code, options);
}
