import { open } from 'node:fs/promises';
import { readRange } from './file-range.js';

/** True when an ELF executable asks for a dynamic loader (has a PT_INTERP program header). */
export function elfNeedsInterpreter(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  const is64 = elf[4] === 2;
  const le = elf[5] === 1;
  const u16 = (o: number) => (le ? elf.readUInt16LE(o) : elf.readUInt16BE(o));
  const u32 = (o: number) => (le ? elf.readUInt32LE(o) : elf.readUInt32BE(o));
  const phoff = is64 ? Number(le ? elf.readBigUInt64LE(0x20) : elf.readBigUInt64BE(0x20)) : u32(0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  const PT_INTERP = 3;
  for (let i = 0; i < phnum; i++) {
    if (u32(phoff + i * phentsize) === PT_INTERP) return true;
  }
  return false;
}

/** The machines lab knows (ELF e_machine), by uname -m's name. */
export type ElfMachine = 'x86_64' | 'aarch64';
export const ELF_MACHINES: Partial<Record<number, ElfMachine>> = { 62: 'x86_64', 183: 'aarch64' };

/** The machine an ELF file is for, by uname -m's name ("x86_64", "aarch64"), or e_machine's number for another. */
export function elfMachine(elf: Buffer): string {
  if (elf.length < 20 || elf.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  const machine = elf[5] === 1 ? elf.readUInt16LE(0x12) : elf.readUInt16BE(0x12);
  return ELF_MACHINES[machine] ?? `machine ${machine}`;
}

/** The machine of an ELF file on disk (a vmlinux), from its first bytes only. */
export async function elfMachineOfFile(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await handle.read(head, 0, 64, 0);
    return elfMachine(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

const PT_NOTE = 4;
const NT_GNU_BUILD_ID = 3;
/** A kernel's note segment is a few hundred bytes; more is not a vmlinux. */
const MAX_NOTES = 1 << 20;

/** Where a little-endian 64-bit ELF keeps its program headers (vmlinux of x86_64 and arm64 alike). */
interface ElfLayout {
  phoff: number;
  phentsize: number;
  phnum: number;
}

/** The program header table's place, from the ELF header's first 64 bytes (pure). */
function elfLayout(header: Buffer): ElfLayout {
  const elf64le = header.length >= 64 && header.readUInt32BE(0) === 0x7f454c46 && header[4] === 2 && header[5] === 1;
  if (!elf64le) throw new Error('not a 64-bit little-endian ELF file');
  return {
    phoff: Number(header.readBigUInt64LE(32)),
    phentsize: header.readUInt16LE(54),
    phnum: header.readUInt16LE(56),
  };
}

/** The GNU build id among ELF notes, as hex (pure); undefined when none is there. */
export function gnuBuildIdOfNotes(notes: Buffer): string | undefined {
  const align4 = (n: number) => (n + 3) & ~3;
  for (let at = 0; at + 12 <= notes.length;) {
    const namesz = notes.readUInt32LE(at);
    const descsz = notes.readUInt32LE(at + 4);
    const type = notes.readUInt32LE(at + 8);
    const name = at + 12;
    const desc = name + align4(namesz);
    if (desc + descsz > notes.length) return undefined;
    if (type === NT_GNU_BUILD_ID && notes.toString('latin1', name, name + namesz) === 'GNU\0')
      return notes.toString('hex', desc, desc + descsz);
    at = desc + align4(descsz);
  }
  return undefined;
}

/** The GNU build id the linker wrote into an ELF file's note segments (a vmlinux), as hex; undefined if none. */
export async function elfBuildIdOfFile(elf: string): Promise<string | undefined> {
  const file = await open(elf, 'r');
  try {
    const read = (position: number, length: number) => readRange(file, position, length);
    const { phoff, phentsize, phnum } = elfLayout(await read(0, 64));
    const table = await read(phoff, phentsize * phnum);
    for (let i = 0; i < phnum && (i + 1) * phentsize <= table.length; i++) {
      const ph = table.subarray(i * phentsize);
      if (ph.readUInt32LE(0) !== PT_NOTE) continue;
      const size = Number(ph.readBigUInt64LE(32));
      if (size > MAX_NOTES) continue;
      const id = gnuBuildIdOfNotes(await read(Number(ph.readBigUInt64LE(8)), size));
      if (id) return id;
    }
  } finally {
    await file.close();
  }
  return undefined;
}
