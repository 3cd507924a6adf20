import { existsSync } from 'node:fs';
import path from 'node:path';
import { LabError } from '../errors.js';
import { readCheckedText, whereJsonStops } from '../util/checked-file.js';

/** What lab check reads of a bundle's build.json at most. */
const BUILD_JSON_BYTES = 4 * 1024 * 1024;

/**
 * The hashes a bundle's build.json records ("built"), or undefined when it
 * records none. A build.json that is not JSON, not an object (null, a
 * number) or whose "built" is not one refuses the bundle: BUNDLE_REFUSED,
 * which lab check shows as that bundle's one refused row.
 */
export async function readBundleBuilt(dir: string, bundle: string): Promise<Record<string, unknown> | undefined> {
  const file = path.join(dir, 'build.json');
  if (!existsSync(file)) return undefined;
  const refuse = (why: string) => new LabError('BUNDLE_REFUSED', `${bundle} refused: build.json ${why}`);
  const text = await readCheckedText(file, { code: 'BUNDLE_REFUSED', maxBytes: BUILD_JSON_BYTES }).catch(() => {
    throw refuse('cannot be read as a file');
  });
  return builtOf(text, refuse);
}

/** build.json's text to its "built" record (pure). */
export function builtOf(text: string, refuse: (why: string) => Error): Record<string, unknown> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw refuse(`is not valid JSON${whereJsonStops(err)}`);
  }
  if (!isObject(json)) throw refuse(`is ${kindOf(json)}, not an object`);
  if (json.built === undefined) return undefined;
  if (!isObject(json.built)) throw refuse('records "built" as something other than an object');
  return json.built;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  return Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The evidence of the one row that refuses a bundle, for any error while
 * checking it: a refusal says why; any other error (a run file that is a
 * directory, one lab check cannot read, even a bug) is still that bundle's
 * alone, so the next bundle is checked. Paths are shown inside the bundle.
 */
export function bundleRefusal(err: unknown, bundle: string, dir?: string): string {
  const message = err instanceof Error ? err.message : String(err);
  const shown = dir ? message.split(`${dir}${path.sep}`).join('').split(dir).join('.') : message;
  if (err instanceof LabError && (err.code === 'BUNDLE_REFUSED' || err.code === 'BUNDLE_MISSING')) return shown;
  if (err instanceof LabError) return `${bundle} refused: ${shown}`;
  return `${bundle} refused: lab check failed on it (${shown})`;
}

interface Row {
  bundle: string;
  student: string;
  exercise: string;
  result: 'pass' | 'fail' | 'refused';
  evidence: string;
}

/** The bundle's rows from index first on become its one refused row, whatever err is. */
export function refuseBundleRows(
  rows: Row[],
  first: number,
  err: unknown,
  who: { bundle: string; student: string; dir?: string },
): void {
  const evidence = bundleRefusal(err, who.bundle, who.dir);
  rows.splice(first, rows.length - first, {
    bundle: who.bundle,
    student: who.student,
    exercise: '(bundle)',
    result: 'refused',
    evidence,
  });
}
