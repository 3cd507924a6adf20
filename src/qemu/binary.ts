import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { Store } from '../store/store.js';
import { versionLineMemo } from '../store/file-memo.js';
import { LabError } from '../errors.js';
import { findOnPath } from '../util/which.js';
import { archSpec, type Arch } from '../arch/arch.js';

/** The QEMU binary for "system" (the architecture's one on PATH) or an explicit path. */
export function resolveQemu(choice: string = 'system', arch: Arch = 'x86_64'): string {
  if (choice === 'system') {
    const { binary, package: pkg, purpose } = archSpec(arch).qemu;
    const found = findOnPath(binary);
    if (!found) {
      throw new LabError('TOOL_MISSING', `${binary} is not installed`, {
        hint: `bash scripts/install-deps.sh ${purpose} (Debian's ${pkg})`,
      });
    }
    return found;
  }
  try {
    accessSync(choice, constants.X_OK);
  } catch {
    throw new LabError('QEMU_MISSING', `--qemu ${choice} is not an executable file`, {
      hint: `give "system" or the path of a ${archSpec(arch).qemu.binary}`,
    });
  }
  return path.resolve(choice);
}

export async function qemuVersion(binary: string, store?: Store): Promise<string> {
  return versionLineMemo(store, { program: { path: binary }, args: ['--version'], what: 'qemu --version' });
}
