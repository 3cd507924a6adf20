/**
 * lab dump, lab crash and lab drgn as data: the format chosen from QEMU's
 * list, the commands, gdb's hold line, and the two readers of untrusted
 * bytes (a vmlinux's build id note, a kdump core's vmcoreinfo).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { coreEvidence } from '../../src/bundle/core-check.js';
import { parseBreakpointSpec } from '../../src/gdb/breakpoint-spec.js';
import { holdGdbCommand } from '../../src/gdb/gdb-command.js';
import { crashCommand, drgnCommand } from '../../src/lab/postmortem.js';
import { elfBuildIdOfFile, gnuBuildIdOfNotes } from '../../src/util/elf.js';
import { dumpFormatFor, reassembleCommand } from '../../src/vm/dump.js';
import {
  completedUtsname,
  kdumpBlockSize,
  parseVmcoreinfo,
  readKdumpKernel,
  vmcoreinfoPlace,
} from '../../src/vmcore/kdump-header.js';

const dir = mkdtempSync(path.join(tmpdir(), 'lab-vmcore-'));

function note(name: string, type: number, desc: Buffer): Buffer {
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const head = Buffer.alloc(12);
  head.writeUInt32LE(name.length + 1, 0);
  head.writeUInt32LE(desc.length, 4);
  head.writeUInt32LE(type, 8);
  return Buffer.concat([head, pad(Buffer.from(name + '\0')), pad(desc)]);
}

/** A kdump file as QEMU writes one: header, sub-header one block in, the vmcoreinfo where it says. */
function kdump(vmcoreinfo: string, options: { blockSize?: number; offset?: number; size?: number } = {}): Buffer {
  const blockSize = options.blockSize ?? 4096;
  const file = Buffer.alloc(3 * 4096);
  file.write('KDUMP   ', 0, 'latin1');
  file.writeInt32LE(blockSize, 428);
  const at = options.offset ?? 2 * 4096;
  if (blockSize >= 512 && blockSize < file.length) {
    file.writeBigUInt64LE(BigInt(at), blockSize + 32);
    file.writeBigUInt64LE(BigInt(options.size ?? vmcoreinfo.length), blockSize + 40);
  }
  if (at + vmcoreinfo.length <= file.length) file.write(vmcoreinfo, at, 'latin1');
  return file;
}

describe('the dump format', () => {
  it('is the raw kdump where QEMU writes one, else the flattened one that makedumpfile -R makes whole', () => {
    expect(dumpFormatFor(['elf', 'kdump-zlib', 'kdump-raw-zlib'])).toBe('kdump-raw-zlib');
    expect(dumpFormatFor(['elf', 'kdump-zlib'])).toBe('kdump-zlib');
    expect(() => dumpFormatFor(['elf'])).toThrow(/no compressed kdump core \(it offers elf\)/);
    expect(reassembleCommand('/r/vmcore.kdump.partial')).toMatchObject({
      program: 'makedumpfile',
      args: ['-R', '/r/vmcore.kdump.partial'],
    });
  });
});

describe("gdb's hold", () => {
  it('quotes the release path and the breakpoint as one word each, its condition as another', () => {
    const at = parseBreakpointSpec('compact_zone if cc->order > 2');
    const c = holdGdbCommand('/k/vmlinux', '127.0.0.1:4321', { release: '/my "runs"/.release', seconds: 720, at });
    const hold = c.args[c.args.indexOf('-batch') + 2];
    expect(hold).toBe('lab-hold "/my \\"runs\\"/.release" "720" "compact_zone" "cc->order > 2"');
    expect(c.args.slice(-3)).toEqual(['-ex', 'detach', '/k/vmlinux']);
    expect(c.args).toContain('target remote 127.0.0.1:4321');
  });

  it('holds where attaching stopped the guest when no breakpoint is given', () => {
    const c = holdGdbCommand('/k/vmlinux', '127.0.0.1:4321', { release: '/r/.release', seconds: 60 });
    expect(c.args).toContain('lab-hold "/r/.release" "60"');
  });
});

describe('the post-mortem commands', () => {
  const dump = { runDir: '/r', core: '/r/vmcore.kdump', vmlinux: '/k/vmlinux' };
  it('gives crash the vmlinux and the core last, without slab caches on SLOB', () => {
    expect(crashCommand(dump, true, '/r/crash.rc', ['-s']).args).toEqual([
      '--no_kmem_cache',
      '-i',
      '/r/crash.rc',
      '-s',
      '/k/vmlinux',
      '/r/vmcore.kdump',
    ]);
    expect(crashCommand(dump, false, undefined, []).args).toEqual(['/k/vmlinux', '/r/vmcore.kdump']);
  });

  it('gives drgn the vmlinux as symbols and the core, then the script', () => {
    expect(drgnCommand(dump, ['walk.py']).args).toEqual(['-s', '/k/vmlinux', '-c', '/r/vmcore.kdump', 'walk.py']);
  });
});

describe('build ids', () => {
  it('finds the GNU note among others, and nothing in a truncated one', () => {
    const id = Buffer.from('f65f5fa1c0ffee00112233445566778899aabbcc', 'hex');
    const notes = Buffer.concat([note('Xen', 1, Buffer.alloc(8)), note('GNU', 3, id)]);
    expect(gnuBuildIdOfNotes(notes)).toBe(id.toString('hex'));
    expect(gnuBuildIdOfNotes(notes.subarray(0, notes.length - 4))).toBeUndefined();
    expect(gnuBuildIdOfNotes(note('GNU', 1, id))).toBeUndefined();
  });

  it("reads a linked program's build id as readelf does", async () => {
    const src = path.join(dir, 'p.c');
    writeFileSync(src, 'int main(void) { return 0; }\n');
    const out = path.join(dir, 'p');
    await execa('gcc', ['-Wl,--build-id=sha1', '-o', out, src]);
    const readelf = (await execa('readelf', ['-n', out])).stdout;
    expect(await elfBuildIdOfFile(out)).toBe(/Build ID: ([0-9a-f]+)/.exec(readelf)![1]);
    await expect(elfBuildIdOfFile(src)).rejects.toThrow(/not a 64-bit little-endian ELF/);
  });
});

describe("a kdump core's vmcoreinfo", () => {
  const info = 'OSRELEASE=6.1.192\nBUILD-ID=f65f5fa1c0ffee\nPAGESIZE=4096\n';

  it('is read from where the sub-header says', async () => {
    const file = path.join(dir, 'good.kdump');
    writeFileSync(file, kdump(info));
    expect(await readKdumpKernel(file)).toMatchObject({ osrelease: '6.1.192', buildId: 'f65f5fa1c0ffee' });
    expect(parseVmcoreinfo(info).PAGESIZE).toBe('4096');
  });

  it('refuses what is not a kdump core, or points outside it, in one line each', async () => {
    const flat = Buffer.from('makedumpfile\0\0\0\0');
    expect(() => kdumpBlockSize(flat, 'x')).toThrow(/needs makedumpfile -R first/);
    expect(() => kdumpBlockSize(kdump(info, { blockSize: 7 }), 'x')).toThrow(/block size 7/);
    const sub = Buffer.alloc(64);
    sub.writeBigUInt64LE(1n << 62n, 32);
    sub.writeBigUInt64LE(4096n, 40);
    expect(() => vmcoreinfoPlace(sub, 'x')).toThrow(/a vmcoreinfo of 4096 bytes/);
    sub.writeBigUInt64LE(1n << 40n, 40);
    expect(() => vmcoreinfoPlace(sub, 'x')).toThrow(/not a kdump core lab can read/);
    const past = path.join(dir, 'past.kdump');
    writeFileSync(past, kdump(info, { offset: 3 * 4096 - 8 }));
    await expect(readKdumpKernel(past)).rejects.toThrow(/runs past the end of the file/);
  });

  it("fills the header's blank utsname fields from the kernel's, keeping what QEMU wrote", () => {
    const header = kdump('');
    header.write('x86_64', 12 + 4 * 65, 'latin1');
    const uts = { sysname: 'Linux', nodename: 'n'.repeat(80), release: '6.1.192', machine: 'aarch64' };
    const block = completedUtsname(header, uts);
    const field = (i: number) => block.toString('latin1', i * 65, (i + 1) * 65).replace(/\0+$/, '');
    expect([0, 1, 2, 3, 4, 5].map(field)).toEqual(['Linux', 'n'.repeat(64), '6.1.192', '', 'x86_64', '']);
  });

  it('names no kernel when QEMU had no vmcoreinfo to copy, and never takes a build id that is not hex', async () => {
    const none = path.join(dir, 'none.kdump');
    writeFileSync(none, kdump('', { size: 0 }));
    expect(await readKdumpKernel(none)).toEqual({ vmcoreinfo: {} });
    const forged = path.join(dir, 'forged.kdump');
    writeFileSync(forged, kdump('BUILD-ID=\x1b[2Jzz\n'));
    expect((await readKdumpKernel(forged)).buildId).toBeUndefined();
  });
});

describe("lab check's core row", () => {
  const run = (name: string, core?: Buffer) => {
    const runDir = path.join(dir, 'runs', name);
    mkdirSync(runDir, { recursive: true });
    if (core) writeFileSync(path.join(runDir, 'vmcore.kdump'), core);
    return runDir;
  };

  it("passes a core of the class's kernel; fails another's, a damaged one, one with nothing to hold to", async () => {
    const core = kdump('OSRELEASE=6.1.192\nBUILD-ID=abcdef01\n');
    expect(await coreEvidence(run('none'), 'abcdef01')).toBeUndefined();
    expect(await coreEvidence(run('good', core), 'abcdef01')).toMatchObject({ pass: true });
    const other = await coreEvidence(run('other', core), '12345678');
    expect(other).toEqual({ pass: false, evidence: "other: the core names kernel abcdef01, not the class's 12345678" });
    const damaged = await coreEvidence(run('damaged', Buffer.from('KDUMP   ')), 'abcdef01');
    expect(damaged).toMatchObject({ pass: false, evidence: expect.stringContaining('not a kdump core') });
    expect(await coreEvidence(run('unheld', core), undefined)).toMatchObject({ pass: false });
  });
});
