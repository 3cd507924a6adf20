import { existsSync } from 'node:fs';
import { LabError } from '../errors.js';
import { readCheckedText } from '../util/checked-file.js';

/** The pid in QEMU's pid file (one number and a newline), or undefined when there is none or it is not one. */
export async function pidFromFile(file: string): Promise<number | undefined> {
  if (!existsSync(file)) return undefined;
  let text: string;
  try {
    text = await readCheckedText(file, { code: 'STATE_CORRUPT', maxBytes: 64 });
  } catch (err) {
    if (err instanceof LabError) return undefined;
    throw err;
  }
  return parsePid(text);
}

/** A pid file's text as a pid (pure): digits only, 2 or more (never 0, 1 or a process group). */
export function parsePid(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d{1,10}$/.test(t)) return undefined;
  const pid = Number(t);
  return pid >= 2 ? pid : undefined;
}
