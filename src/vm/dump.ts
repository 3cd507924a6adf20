import { chmod, rename, rm, stat } from 'node:fs/promises';
import { LabError } from '../errors.js';
import type { Command } from '../process/command.js';
import { executeChecked } from '../process/runner.js';
import { qmpCommand } from '../qemu/qmp.js';
import { completeKdumpUtsname, type Utsname } from '../vmcore/kdump-header.js';
import { requirePostmortemTool } from '../vmcore/tools.js';

/**
 * kdump-raw-zlib (QEMU 8.2 on) is the file crash and drgn open; before it,
 * QEMU writes kdump-zlib as a flattened stream, which makedumpfile -R turns
 * into that same file. zlib: the formats every QEMU build has.
 */
export type DumpFormat = 'kdump-raw-zlib' | 'kdump-zlib';

/** The format this QEMU can write, from query-dump-guest-memory-capability's list (pure). */
export function dumpFormatFor(formats: readonly string[]): DumpFormat {
  if (formats.includes('kdump-raw-zlib')) return 'kdump-raw-zlib';
  if (formats.includes('kdump-zlib')) return 'kdump-zlib';
  throw new LabError('DUMP_FAILED', `this QEMU writes no compressed kdump core (it offers ${formats.join(', ')})`);
}

/** makedumpfile -R: the flattened stream on stdin, the kdump file out (pure). */
export function reassembleCommand(out: string): Command {
  return { program: 'makedumpfile', args: ['-R', out], what: 'makedumpfile -R (the flattened core made whole)' };
}

const QMP_ANSWER_MS = 5000;

/**
 * Writes the guest's memory, zlib-compressed, to out as a kdump file: whole or
 * not at all (a .partial beside it until it is). The guest may run or be held
 * by gdb; QEMU stops it while it writes and leaves it as it was. uts is the
 * kernel's utsname, which QEMU leaves out of the header.
 */
export async function dumpGuestMemory(
  qmpSocket: string,
  out: string,
  uts: Utsname,
  timeoutMs: number,
): Promise<{ format: DumpFormat; bytes: number }> {
  const capability = (await qmpCommand(qmpSocket, 'query-dump-guest-memory-capability', QMP_ANSWER_MS)) as {
    formats?: string[];
  };
  const format = dumpFormatFor(capability.formats ?? []);
  if (format === 'kdump-zlib') requirePostmortemTool('makedumpfile');
  const partial = `${out}.partial`;
  const flat = `${out}.flat`;
  try {
    const written = format === 'kdump-zlib' ? flat : partial;
    const args = { paging: false, protocol: `file:${written}`, format };
    await qmpCommand(qmpSocket, 'dump-guest-memory', timeoutMs, args);
    if (format === 'kdump-zlib') await executeChecked(reassembleCommand(partial), { inputFile: flat, timeoutMs });
    // QEMU makes the file read-only to its owner
    await chmod(partial, 0o600);
    await completeKdumpUtsname(partial, uts);
    await rename(partial, out);
  } finally {
    await rm(partial, { force: true });
    await rm(flat, { force: true });
  }
  return { format, bytes: (await stat(out)).size };
}
