import type { z } from 'zod';
import { readCheckedJson } from '../util/checked-record.js';

/**
 * A record lab keeps in a store entry (kvm.json, entry.json, build.json),
 * read back checked: a damaged one is STORE_DAMAGED naming the file and the
 * key, and the hint says to remove the entry, which lab then makes again.
 */
export function readStoreRecord<S extends z.ZodType>(file: string, schema: S): Promise<z.infer<S>> {
  return readCheckedJson(file, schema, { code: 'STORE_DAMAGED', what: 'a store record' });
}
