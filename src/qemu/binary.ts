import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { Store } from '../store/store.js';
import { versionLineMemo } from '../store/file-memo.js';
import { LabError } from '../errors.js';
import { findOnPath } from '../util/which.js';

export const SYSTEM_QEMU = 'qemu-system-x86_64';

/** The QEMU binary for "system" (the one on PATH) or an explicit path. */
export function resolveQemu(choice: string = 'system'): string {
  if (choice === 'system') {
    const found = findOnPath(SYSTEM_QEMU);
    if (!found) {
      throw new LabError('TOOL_MISSING', `${SYSTEM_QEMU} is not installed`, {
        hint: 'apt-get install qemu-system-x86',
      });
    }
    return found;
  }
  try {
    accessSync(choice, constants.X_OK);
  } catch {
    throw new LabError('QEMU_MISSING', `--qemu ${choice} is not an executable file`, {
      hint: 'give "system" or the path of a qemu-system-x86_64',
    });
  }
  return path.resolve(choice);
}

export async function qemuVersion(binary: string, store?: Store): Promise<string> {
  return versionLineMemo(store, { program: { path: binary }, args: ['--version'], what: 'qemu --version' });
}
