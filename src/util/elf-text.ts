import { open, type FileHandle } from 'node:fs/promises';

import { ELF_MACHINES, type ElfMachine } from './elf.js';

export type { ElfMachine } from './elf.js';
const SHF_EXECINSTR = 0x4n;
const SHT_PROGBITS = 1;
const HEADER_BYTES = 64;

interface TextSection {
  address: bigint;
  offset: bigint;
  size: bigint;
}

/**
 * The executable sections of a 64-bit little-endian ELF file (a vmlinux),
 * read from disk a few bytes at a time: a 150 MB vmlinux is never loaded.
 */
export class ElfText {
  private constructor(
    private readonly file: FileHandle,
    readonly machine: ElfMachine,
    private readonly sections: TextSection[],
  ) {}

  static async open(path: string): Promise<ElfText> {
    const file = await open(path, 'r');
    try {
      const head = Buffer.alloc(HEADER_BYTES);
      await file.read(head, 0, HEADER_BYTES, 0);
      if (head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2 || head[5] !== 1)
        throw new Error(`${path} is not a 64-bit little-endian ELF file`);
      const machine = ELF_MACHINES[head.readUInt16LE(0x12)];
      if (!machine) throw new Error(`${path} is for ELF machine ${head.readUInt16LE(0x12)}, not x86_64 or aarch64`);
      const shoff = Number(head.readBigUInt64LE(0x28));
      const entsize = head.readUInt16LE(0x3a);
      const count = head.readUInt16LE(0x3c);
      const table = Buffer.alloc(entsize * count);
      await file.read(table, 0, table.length, shoff);
      const sections: TextSection[] = [];
      for (let i = 0; i < count; i++) {
        const at = i * entsize;
        if (table.readUInt32LE(at + 4) !== SHT_PROGBITS) continue;
        if ((table.readBigUInt64LE(at + 8) & SHF_EXECINSTR) === 0n) continue;
        const address = table.readBigUInt64LE(at + 16);
        sections.push({ address, offset: table.readBigUInt64LE(at + 24), size: table.readBigUInt64LE(at + 32) });
      }
      return new ElfText(file, machine, sections);
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /** The n bytes ending just before address, or undefined when they are not all in one executable section. */
  async bytesBefore(address: bigint, n: number): Promise<Buffer | undefined> {
    const from = address - BigInt(n);
    const s = this.sections.find((x) => from >= x.address && address <= x.address + x.size);
    if (!s) return undefined;
    const out = Buffer.alloc(n);
    const { bytesRead } = await this.file.read(out, 0, n, Number(s.offset + (from - s.address)));
    return bytesRead === n ? out : undefined;
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
