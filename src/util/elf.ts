import { open } from 'node:fs/promises';

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
