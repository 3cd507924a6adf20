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
 * What refuses one bundle in lab check (its row's evidence), or undefined for
 * an error that is not about the bundle: the bundle's own files damaged
 * (build.json, a run's records) are the bundle's fault, not lab check's.
 */
export function bundleRefusal(err: unknown): string | undefined {
  if (!(err instanceof LabError)) return undefined;
  return ['BUNDLE_REFUSED', 'RUN_DAMAGED', 'RUN_TOO_BIG', 'HITS_CORRUPT'].includes(err.code) ? err.message : undefined;
}

interface Row {
  bundle: string;
  student: string;
  exercise: string;
  result: 'pass' | 'fail' | 'refused';
  evidence: string;
}

/**
 * When err refuses the bundle, its rows from index first on become one
 * refused row (true); any other error is left to the caller (false).
 */
export function refuseBundleRows(rows: Row[], first: number, err: unknown, who: { bundle: string; student: string }) {
  const evidence = bundleRefusal(err);
  if (evidence === undefined) return false;
  rows.splice(first, rows.length - first, { ...who, exercise: '(bundle)', result: 'refused', evidence });
  return true;
}
