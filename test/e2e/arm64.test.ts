/**
 * An arm64 lab on this machine, end to end on the real thing: the kernel
 * cross-built in lab's build root (Debian's gcc-aarch64-linux-gnu), the
 * initramfs with Debian's busybox-static:arm64, QEMU's virt board under TCG,
 * gdb-multiarch. Needs install-deps.sh arm64 (qemu-system-arm, gdb-multiarch),
 * which lab's default install does not bring yet: without them every test
 * here is skipped, and says why. The first run builds the kernel (minutes).
 */
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHits } from '../../src/record/hit-schema.js';
import { findOnPath } from '../../src/util/which.js';
import { elfMachineOfFile } from '../../src/util/elf.js';
import { parseBuddyinfo } from '../../src/sample/parse.js';
import { freePort, lab, newestRun, tempDir } from '../helpers/cli.js';

const missing = ['qemu-system-aarch64', 'gdb-multiarch'].filter((p) => !findOnPath(p));
const skipReason = `${missing.join(' and ')} missing (bash scripts/install-deps.sh arm64): arm64 tests skipped`;
if (missing.length) console.warn(skipReason);

const cwd = tempDir('arm64');
const labDir = path.join(cwd, '.lab');
let build: {
  kernel: { arch: string; bzImage: string; vmlinux: string; version: string };
  rootfs: { kind: string; file: string };
};

/** The arm64 boot image's magic, "ARM\x64" at byte 56 (Documentation/arm64/booting.rst). */
async function arm64ImageMagic(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const magic = Buffer.alloc(4);
    await handle.read(magic, 0, 4, 56);
    return magic.toString('latin1');
  } finally {
    await handle.close();
  }
}

describe.skipIf(missing.length > 0)('an arm64 guest', () => {
  beforeAll(async () => {
    const built = await lab(['build', '--arch', 'arm64', '--json'], { cwd });
    expect(built.exitCode, built.stderr).toBe(0);
    build = JSON.parse(built.stdout);
    const up = await lab(['up', '--kgdb', '--gdb-port', String(await freePort()), '--json'], { cwd });
    expect(up.exitCode, up.stderr).toBe(0);
  }, 45 * 60_000);

  afterAll(async () => {
    await lab(['down'], { cwd });
  });

  it('is built as arm64 throughout: Image, vmlinux, and the initramfs its default rootfs', async () => {
    expect(build.kernel.arch).toBe('arm64');
    expect(path.basename(build.kernel.bzImage)).toBe('Image');
    expect(await arm64ImageMagic(build.kernel.bzImage)).toBe('ARM\x64');
    expect(await elfMachineOfFile(build.kernel.vmlinux)).toBe('aarch64');
    expect(build.rootfs.kind).toBe('initramfs');
  });

  it('boots on the virt board, with the agent on a virtio serial port', async () => {
    const r = await lab(['exec', '--', 'uname', '-m'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('aarch64');
    const serial = readFileSync(path.join(labDir, 'vm', 'serial.log'), 'utf8');
    expect(serial).toMatch(/Machine model: linux,dummy-virt/);
    expect(serial).toContain('lab: initramfs up');
  });

  it("records the seed's backtraces around a manual compaction, with gdb-multiarch", async () => {
    const r = await lab(
      ['debug', '--break', 'compact_zone', '--break', 'compact_unlock_should_abort', '--trigger', 'compact'],
      { cwd },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const run = newestRun(labDir);
    const hits = parseHits(readFileSync(path.join(run, 'hits.jsonl'), 'utf8'));
    const zone = hits.find((h) => h.function === 'compact_zone');
    expect(zone, 'a compact_zone hit').toBeDefined();
    const names = zone!.frames.map((f) => f.function);
    expect(names).toContain('sysctl_compaction_handler');
    // the syscall entry of an arm64 kernel: el0t_64_sync, el0_svc, invoke_syscall
    expect(names).toEqual(expect.arrayContaining(['invoke_syscall', 'el0_svc']));
    expect(names.at(-1)).toMatch(/^el0t_64_sync$/);
    const abort = hits.find((h) => h.function === 'compact_unlock_should_abort');
    expect(abort, 'a compact_unlock_should_abort hit').toBeDefined();
    expect(abort!.frames.map((f) => f.function)).toContain('isolate_freepages_block');
    const manifest = JSON.parse(readFileSync(path.join(run, 'manifest.json'), 'utf8'));
    expect(manifest.gdb).toMatch(/GNU gdb/);
    expect(manifest.qemu.version).toMatch(/QEMU emulator version/);
  }, 600_000);

  it("stops in compact_zone through the kernel's own KGDB, on a PCI 16550", async () => {
    const r = await lab(['debug', '--via', 'kgdb', '--break', 'compact_zone', '--trigger', 'compact', '--count', '1'], {
      cwd,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const run = newestRun(labDir);
    expect(JSON.parse(readFileSync(path.join(run, 'recorder.json'), 'utf8')).via).toBe('kgdb');
    const [hit] = parseHits(readFileSync(path.join(run, 'hits.jsonl'), 'utf8'));
    expect(hit!.function).toBe('compact_zone');
    const names = hit!.frames.map((f) => f.function);
    expect(names).toContain('sysctl_compaction_handler');
    expect(names.at(-1)).toBe('el0t_64_sync');
    expect(readFileSync(path.join(labDir, 'vm', 'serial.log'), 'utf8')).toContain('KGDB: Registered I/O driver kgdboc');
  }, 600_000);

  it('records every call of compact_unlock_should_abort in the guest, as its kprobe counted them', async () => {
    const r = await lab(
      ['debug', '--engine', 'guest', '--break', 'compact_unlock_should_abort', '--trigger', 'compact', '--count', '0'],
      { cwd },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const run = newestRun(labDir);
    const engine = JSON.parse(readFileSync(path.join(run, 'engine.json'), 'utf8'));
    expect(engine.fired).toBeGreaterThan(0);
    expect(engine.dropped).toBe(0);
    expect(engine.recorded).toBe(engine.fired);
    for (const p of engine.probes) expect(p.recorded, p.event).toBe(p.hits);
    const hits = parseHits(readFileSync(path.join(run, 'hits.jsonl'), 'utf8'));
    expect(hits).toHaveLength(engine.fired);
    // the kernel's own unwinder, past the probe's prologue: the caller is there
    expect(hits[0]!.frames.map((f) => f.function)).toContain('isolate_freepages_block');
  }, 600_000);

  it('lab-buddy agrees with /proc/buddyinfo on the largest zone', async () => {
    const proc = await lab(['exec', '--', 'cat', '/proc/buddyinfo'], { cwd });
    const gdb = await lab(['gdb', '--', '-batch', '-ex', 'lab-buddy --json'], { cwd });
    expect(gdb.exitCode, gdb.stderr).toBe(0);
    const buddy = JSON.parse(gdb.stdout.split('\n').find((l) => l.startsWith('[{'))!);
    const pages = (free: number[]) => free.reduce((sum, n, order) => sum + (n << order), 0);
    const largest = parseBuddyinfo(proc.stdout).reduce((a, b) => (pages(b.free) > pages(a.free) ? b : a));
    const zone = buddy.find((z: { zone: string }) => z.zone === largest.zone);
    expect(zone.mismatches).toEqual([]);
    const top = zone.nr_free.length - 1;
    expect(zone.nr_free[top]).toBe(largest.free[top]);
  }, 180_000);
});

if (missing.length) it.skip(skipReason, () => {});
