import type { ElfMachine } from '../util/elf-text.js';

/** How many bytes before a return address callEndsAt reads. */
export const CALL_WINDOW = 8;

/** The length of an x86 FF /2 (call r/m64) that starts with FF at at, or undefined when it is no such call. */
function x86IndirectCallLength(code: Buffer, at: number): number | undefined {
  if (code[at] !== 0xff || at + 1 >= code.length) return undefined;
  const modrm = code[at + 1]!;
  if (((modrm >> 3) & 7) !== 2) return undefined;
  const mod = modrm >> 6;
  const rm = modrm & 7;
  if (mod === 3) return 2;
  const hasSib = rm === 4;
  const sibBase = hasSib && at + 2 < code.length ? code[at + 2]! & 7 : -1;
  let disp = mod === 1 ? 1 : mod === 2 ? 4 : 0;
  if (mod === 0 && (rm === 5 || sibBase === 5)) disp = 4;
  return 2 + (hasSib ? 1 : 0) + disp;
}

/**
 * Whether the instruction that ends where code ends is a call (pure): code
 * is the CALL_WINDOW bytes before a caller frame's pc, which a real stack
 * holds as a return address. x86_64: call rel32 (E8) or call r/m64 (FF /2);
 * arm64: BL or BLR.
 */
export function callEndsAt(machine: ElfMachine, code: Buffer): boolean {
  const n = code.length;
  if (machine === 'aarch64') {
    if (n < 4) return false;
    const insn = code.readUInt32LE(n - 4);
    return (insn & 0xfc000000) >>> 0 === 0x94000000 || (insn & 0xfffffc1f) >>> 0 === 0xd63f0000;
  }
  if (n >= 5 && code[n - 5] === 0xe8) return true;
  for (let len = 2; len <= Math.min(7, n); len++) if (x86IndirectCallLength(code, n - len) === len) return true;
  return false;
}
