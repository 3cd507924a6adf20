/**
 * Narrowing for JSON read from files lab did not write this session (a run
 * directory, a bundle): each helper takes anything and returns the shape it
 * names, empty when the value has another shape (pure).
 */
export type JsonObject = Record<string, unknown>;

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value as an object, or {} */
export const asObject = (v: unknown): JsonObject => (isObject(v) ? v : {});

/** The value as an array, or [] */
export const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The value as text for a page or a table: `missing` for a missing one, an object or array as its JSON. */
export function asTextOr(v: unknown, missing: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return v === undefined || v === null ? missing : (JSON.stringify(v) ?? missing);
}

/** The value as text for a page or a table: "?" for a missing one. */
export const asText = (v: unknown): string => asTextOr(v, '?');
