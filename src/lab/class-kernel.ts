import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LabPaths } from '../config/paths.js';
import { LabError } from '../errors.js';
import type { LabLock } from '../lock/lock.js';
import { sha256File } from '../util/hash.js';
import { readBuildRecordIfAny } from './build-record.js';

/** The vmlinux hits are checked against and where it came from, or no vmlinux and why. */
export interface ClassKernel {
  vmlinux?: string;
  note: string;
}

/**
 * The class's vmlinux: --vmlinux, else this lab's own build. With a lab.lock
 * it must be the vmlinux the lock pins (a hit checked against another
 * kernel proves nothing); without one, the teacher's build is the class's.
 */
export async function classKernel(paths: LabPaths, given: string | undefined, pinned?: LabLock): Promise<ClassKernel> {
  const build = given ? undefined : await readBuildRecordIfAny(paths).catch(() => undefined);
  const vmlinux = given ? path.resolve(given) : build?.kernel.vmlinux;
  if (!vmlinux || !existsSync(vmlinux)) {
    if (given) throw new LabError('BUNDLE_MISSING', `--vmlinux ${given} is not a file`);
    return { note: 'no vmlinux of the class here to check hits against (lab build, or lab check --vmlinux FILE)' };
  }
  const want = pinned?.outputs.vmlinux;
  if (want) {
    const have = await sha256File(vmlinux, { code: 'VMLINUX_MISMATCH', links: 'follow' });
    if (have !== want)
      throw new LabError(
        'VMLINUX_MISMATCH',
        `${vmlinux} is not the vmlinux lab.lock pins (sha256 ${have.slice(0, 16)}…)`,
      );
  }
  return { vmlinux, note: given ? `--vmlinux ${vmlinux}` : `this lab's build (${vmlinux})` };
}
