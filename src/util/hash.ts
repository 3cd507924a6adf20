import { createHash } from 'node:crypto';
import { openCheckedStream, type CheckedRead } from './checked-file.js';

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The sha256 of a regular file, whatever its size: a device, FIFO or socket
 * (/dev/zero never ends) or a missing file is one LabError naming it, with
 * read's code (a link is followed unless read says 'refuse').
 */
export async function sha256File(
  file: string,
  read: Omit<CheckedRead, 'maxBytes'> = { code: 'STEP_FAILED', hint: 'give a regular file' },
): Promise<string> {
  const hash = createHash('sha256');
  const stream = await openCheckedStream(file, { links: 'follow', ...read, maxBytes: Number.POSITIVE_INFINITY });
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A store key: the sha256 of a canonical JSON rendering of every input, so the
 * same inputs give the same key whatever order the object's fields were built in.
 */
export function keyOf(inputs: unknown): string {
  return sha256(canonicalJson(inputs)).slice(0, 32);
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
