import { LabError, type ErrorCode } from '../errors.js';
import { whereJsonStops, withoutBom } from './checked-file.js';

/**
 * A JSON record lab wrote (build.json, state.json), parsed and checked for
 * the fields lab reads, each with its typeof: a damaged or foreign file is
 * one error with the given code, naming the file and what is wrong, never
 * quoting it.
 */
export function parseRecordFile<T>(
  text: string,
  file: string,
  code: ErrorCode,
  fields: Record<string, 'string' | 'number' | 'object'>,
): T {
  let value: unknown;
  try {
    value = JSON.parse(withoutBom(text));
  } catch (err) {
    throw new LabError(code, `${file} is damaged (not JSON${whereJsonStops(err)})`);
  }
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const missing = Object.entries(fields)
    .filter(([k, type]) => typeof record[k] !== type || record[k] === null)
    .map(([k]) => k);
  if (missing.length) throw new LabError(code, `${file} is damaged: no ${missing.join(', ')}`);
  return record as T;
}
