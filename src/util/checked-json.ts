import type { z } from 'zod';
import { LabError, type ErrorCode } from '../errors.js';

/** One zod issue in words, for a file a person wrote. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key "${issue.keys.join('", "')}"`;
  if (issue.code === 'invalid_key') return `the key is not ${issue.issues[0]?.message ?? 'allowed'}`;
  if (issue.code === 'invalid_value' && 'values' in issue)
    return `${issue.message} (allowed: ${(issue.values as unknown[]).join(', ')})`;
  return issue.message;
}

/**
 * A JSON file a person wrote, checked against its schema: anything wrong is
 * one LabError naming the file, the key and what is wrong, and for an
 * unknown key the keys allowed there.
 */
export function parseCheckedJson<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  code: ErrorCode,
  options: { hint?: string; allowedKeysAt?: (at: PropertyKey[]) => string[] | undefined } = {},
): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LabError(code, `${file} is not valid JSON (${(err as Error).message})`, { hint: 'fix the file' });
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const key = issue.path.length ? issue.path.join('.') : '(top level)';
    const allowed = issue.code === 'unrecognized_keys' ? options.allowedKeysAt?.(issue.path) : undefined;
    throw new LabError(
      code,
      `${file}: ${key}: ${describeIssue(issue)}${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`,
      options.hint ? { hint: options.hint } : {},
    );
  }
  return r.data;
}
