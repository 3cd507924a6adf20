import path from 'node:path';
import * as z from 'zod';
import type { KernelBase } from '../config/profile.js';
import { readStoreRecord } from '../store/entry-record.js';
import { readCheckedText } from '../util/checked-file.js';

/** What lab reads of a config fragment or a full .config at most (a distribution's is about 300 KiB). */
const CONFIG_BYTES = 16 * 1024 * 1024;

/** The fragments' texts and the user's base config, read as regular files: /dev/zero is refused, not read forever. */
export async function readConfigInputs(
  fragments: string[],
  base: KernelBase,
): Promise<{ fragments: Array<{ path: string; text: string }>; userBase: string | undefined }> {
  const read = (file: string, code: 'FRAGMENT_MISSING' | 'CONFIG_MISSING', what: string) =>
    readCheckedText(file, { code, what, maxBytes: CONFIG_BYTES, links: 'follow', hint: 'give a regular file' });
  return {
    fragments: await Promise.all(
      fragments.map(async (f) => ({ path: f, text: await read(f, 'FRAGMENT_MISSING', 'the config fragment') })),
    ),
    userBase: typeof base === 'string' ? undefined : await read(base.file, 'CONFIG_MISSING', 'the base config'),
  };
}

const ConfigEntrySchema = z.object({
  /** the final .config's text */
  config: z.string(),
  changes: z.array(z.string()),
  /** Options a fragment names that this kernel's Kconfig does not define. */
  notInKernel: z.array(z.string()).optional(),
});
export type ConfigEntry = z.infer<typeof ConfigEntrySchema>;

/** A configs entry's entry.json, checked: a damaged one is STORE_DAMAGED. */
export function readConfigEntry(entryDir: string): Promise<ConfigEntry> {
  return readStoreRecord(path.join(entryDir, 'entry.json'), ConfigEntrySchema);
}
