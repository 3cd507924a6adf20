import { open } from 'node:fs/promises';
import { readRange } from '../util/file-range.js';
import { LabError } from '../errors.js';

/**
 * What a kdump-compressed core says of its kernel: the vmcoreinfo note the
 * guest kernel handed QEMU (through -device vmcoreinfo) and QEMU copied into
 * the core's sub-header. A core comes from others too (a hand-in), so every
 * offset is checked before it is read.
 */
export interface KdumpKernel {
  /** the vmcoreinfo text, KEY=VALUE lines */
  vmcoreinfo: Record<string, string>;
  osrelease?: string;
  /** the kernel's GNU build id, as its vmlinux has it */
  buildId?: string;
}

const SIGNATURE = 'KDUMP   ';
/** new_utsname, right after the signature and the version: six strings of 65 bytes. */
const UTSNAME_AT = 12;
const UTS_LENGTH = 65;
export const UTSNAME_FIELDS = ['sysname', 'nodename', 'release', 'version', 'machine', 'domainname'] as const;
export type Utsname = Partial<Record<(typeof UTSNAME_FIELDS)[number], string>>;
/** disk_dump_header: signature, version, utsname (6 × 65), timeval, then block_size at 428. */
const BLOCK_SIZE_AT = 428;
/** kdump_sub_header (one block in): offset_vmcoreinfo at 32, size_vmcoreinfo at 40. */
const VMCOREINFO_AT = 32;
/** vmcoreinfo is one page in the kernel; anything larger is not a kernel's. */
const MAX_VMCOREINFO = 1 << 16;

function corrupt(what: string, why: string): LabError {
  return new LabError('RUN_DAMAGED', `${what} is not a kdump core lab can read: ${why}`);
}

/** The vmcoreinfo's KEY=VALUE lines (pure). */
export function parseVmcoreinfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1).replace(/\0+$/, '');
  }
  return out;
}

/** The core's block size, from its main header: where the sub-header starts (pure). */
export function kdumpBlockSize(header: Buffer, what: string): number {
  if (header.length < BLOCK_SIZE_AT + 4 || header.toString('latin1', 0, 8) !== SIGNATURE)
    throw corrupt(what, 'no "KDUMP" signature (a flattened core needs makedumpfile -R first)');
  const blockSize = header.readInt32LE(BLOCK_SIZE_AT);
  if (blockSize < 512 || blockSize > 1 << 20) throw corrupt(what, `block size ${blockSize}`);
  return blockSize;
}

/** Where the vmcoreinfo lies, from the sub-header; undefined when the core has none (pure). */
export function vmcoreinfoPlace(sub: Buffer, what: string): { offset: number; size: number } | undefined {
  if (sub.length < VMCOREINFO_AT + 16) throw corrupt(what, 'cut short in its sub-header');
  const offset = sub.readBigUInt64LE(VMCOREINFO_AT);
  const size = sub.readBigUInt64LE(VMCOREINFO_AT + 8);
  if (size === 0n) return undefined;
  if (size > BigInt(MAX_VMCOREINFO) || offset > BigInt(Number.MAX_SAFE_INTEGER))
    throw corrupt(what, `a vmcoreinfo of ${size} bytes at ${offset}`);
  return { offset: Number(offset), size: Number(size) };
}

/**
 * The header's utsname with its blanks filled from the kernel's own (pure).
 * makedumpfile copies the whole utsname into a core's header; QEMU writes
 * the machine alone, and libkdumpfile, drgn's reader, cannot place a core
 * whose header lacks the rest. The kernel's utsname, read in the moment the
 * core was written, is what makedumpfile would have copied.
 */
export function completedUtsname(header: Buffer, uts: Utsname): Buffer {
  const block = Buffer.from(header.subarray(UTSNAME_AT, UTSNAME_AT + UTSNAME_FIELDS.length * UTS_LENGTH));
  UTSNAME_FIELDS.forEach((field, i) => {
    const at = i * UTS_LENGTH;
    const value = Buffer.from(uts[field] ?? '', 'utf8').subarray(0, UTS_LENGTH - 1);
    if (block[at] === 0 && value.length) block.fill(0, at, at + UTS_LENGTH).set(value, at);
  });
  return block;
}

/** Writes completedUtsname into a kdump core lab is still writing. */
export async function completeKdumpUtsname(core: string, uts: Utsname): Promise<void> {
  const file = await open(core, 'r+');
  try {
    const header = Buffer.alloc(512);
    await file.read(header, 0, header.length, 0);
    kdumpBlockSize(header, core);
    const block = completedUtsname(header, uts);
    await file.write(block, 0, block.length, UTSNAME_AT);
  } finally {
    await file.close();
  }
}

/** The kernel a kdump core names; undefined fields when QEMU had no vmcoreinfo to copy. */
export async function readKdumpKernel(core: string): Promise<KdumpKernel> {
  const file = await open(core, 'r');
  try {
    const read = (position: number, length: number) => readRange(file, position, length);
    const blockSize = kdumpBlockSize(await read(0, 512), core);
    const place = vmcoreinfoPlace(await read(blockSize, 64), core);
    if (!place) return { vmcoreinfo: {} };
    const text = await read(place.offset, place.size);
    if (text.length !== place.size) throw corrupt(core, 'its vmcoreinfo runs past the end of the file');
    const vmcoreinfo = parseVmcoreinfo(text.toString('latin1'));
    const buildId = vmcoreinfo['BUILD-ID'];
    return {
      vmcoreinfo,
      osrelease: vmcoreinfo.OSRELEASE,
      buildId: buildId && /^[0-9a-f]{2,128}$/.test(buildId) ? buildId : undefined,
    };
  } finally {
    await file.close();
  }
}
