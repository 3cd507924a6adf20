/**
 * Vmcores on the real thing (initramfs, TCG): lab dump of a fragmented
 * guest, then Debian's crash and drgn on the core. In that one moment,
 * crash's kmem -f, drgn's walk of the free lists and lab-buddy (gdb, the
 * live guest held while QEMU wrote) must count the same free blocks per
 * zone, order and migratetype.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elfBuildIdOfFile } from '../../src/util/elf.js';
import { freePort, lab, newestRun, tempDir } from '../helpers/cli.js';

const cwd = tempDir('vmcore');
const labDir = path.join(cwd, '.lab');
let port: number;

interface BuddyZone {
  zone: string;
  nr_free: number[];
  by_type: Record<string, number[]>;
  mismatches?: unknown[];
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await lab(args, { cwd, input });
  expect(r.exitCode, `lab ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

const runState = async () => JSON.parse(await ok(['status', '--json'])).runState as string;

/** crash's kmem -f: per zone, the blocks of each (order, migratetype) row, in the order crash prints them. */
function kmemFree(text: string): Map<string, number[][]> {
  const zones = new Map<string, number[][]>();
  let rows: number[][] | undefined;
  let zoneLine = false;
  for (const line of text.split('\n')) {
    if (/^ZONE\s+NAME/.test(line)) zoneLine = true;
    else if (zoneLine) {
      zoneLine = false;
      rows = [];
      zones.set(line.trim().split(/\s+/)[1]!, rows);
    } else {
      const m = /^\s*(\d+)\s+\d+k\s+[0-9a-f]+\s+(\d+)\s+\d+\s*$/.exec(line);
      if (m && rows) (rows[Number(m[1])] ??= []).push(Number(m[2]));
    }
  }
  return zones;
}

/** lab-buddy's shape as crash prints it: per order, the blocks of each migratetype (pure). */
const byOrder = (z: BuddyZone) =>
  z.nr_free.map((_, order) => Object.values(z.by_type).map((counts) => counts[order] ?? -1));

beforeAll(async () => {
  port = await freePort();
  await ok(['build', '--rootfs', 'initramfs']);
  await ok(['up', '--gdb-port', String(port)]);
  // 64 MiB, every other page of it given back: order-0 free blocks by the thousand
  const fragment = [
    '/lab/fragmenter --mib 64 --pattern alternate --hold 1800 > /tmp/frag.out 2>&1 &',
    'until [ -s /tmp/frag.out ]; do sleep 0.2; done',
  ].join('\n');
  await ok(['exec', '--', 'sh', '-c', fragment]);
}, 45 * 60_000);

afterAll(async () => {
  await lab(['down'], { cwd });
});

describe('lab dump', () => {
  let dump: { core: string; bytes: number; seconds: number; buildId: string; runDir: string; buddy: BuddyZone[] };

  it(
    'writes a compressed core that names its kernel, and the guest runs on',
    async () => {
      dump = JSON.parse(await ok(['dump', '--json']));
      const state = JSON.parse(readFileSync(path.join(labDir, 'state.json'), 'utf8'));
      expect(dump.buildId).toBe(await elfBuildIdOfFile(state.kernel.vmlinux));
      expect(readFileSync(dump.core).subarray(0, 8).toString('latin1')).toBe('KDUMP   ');
      // a 2 GiB guest, compressed: well under its memory
      expect(dump.bytes).toBeGreaterThan(1 << 20);
      expect(dump.bytes).toBeLessThan(1 << 30);
      expect(readdirSync(dump.runDir).filter((f) => /partial|flat|release/.test(f))).toEqual([]);
      expect(await runState()).toBe('running');
      console.log(`lab dump: ${(dump.bytes / 2 ** 20).toFixed(1)} MiB in ${dump.seconds} s`);
    },
    10 * 60_000,
  );

  it(
    'crash kmem -f, drgn and lab-buddy count the same free blocks per zone, order and migratetype',
    async () => {
      // lab-buddy also says where nr_free and the lists disagree: nowhere, in a held guest
      expect(dump.buddy.flatMap((z) => z.mismatches)).toEqual([]);
      const lists = dump.buddy.map(({ zone, nr_free, by_type }) => ({ zone, nr_free, by_type }));
      const fragmented = lists.reduce((n, z) => n + (z.nr_free[0] ?? 0), 0);
      expect(fragmented, 'the fragmenter left order-0 blocks').toBeGreaterThan(1000);
      const crash = kmemFree(await ok(['crash', '--', '-s'], 'kmem -f\nquit\n'));
      const drgn = JSON.parse(await ok(['drgn', '--buddy'])) as BuddyZone[];
      expect(drgn).toEqual(lists);
      for (const zone of lists.filter((z) => z.nr_free.some((n) => n > 0))) {
        expect(crash.get(zone.zone), `crash's ${zone.zone}`).toEqual(byOrder(zone));
        expect(zone.nr_free).toEqual(byOrder(zone).map((types) => types.reduce((a, b) => a + b, 0)));
      }
    },
    10 * 60_000,
  );

  it(
    'dumps at a breakpoint, and says where',
    async () => {
      const trigger = 'sleep 3; echo 1 > /proc/sys/vm/compact_memory';
      const compaction = lab(['exec', '--', 'sh', '-c', trigger], { cwd });
      const at = JSON.parse(await ok(['dump', '--at-break', 'compact_zone', '--timeout', '120', '--json']));
      expect((await compaction).exitCode).toBe(0);
      const manifest = JSON.parse(readFileSync(path.join(at.runDir, 'manifest.json'), 'utf8'));
      expect(manifest.dump).toMatchObject({ at: 'compact_zone', buildId: dump.buildId });
      expect(await runState()).toBe('running');
    },
    10 * 60_000,
  );

  it('refuses a function the kernel does not have in one line, before attaching', async () => {
    const before = newestRun(labDir);
    const r = await lab(['dump', '--at-break', 'compact_zonee'], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('closest: compact_zone');
    expect(newestRun(labDir)).toBe(before);
  });

  it('gives up on a breakpoint that is not hit: no core, no gdb left, the guest runs on', async () => {
    const r = await lab(['dump', '--at-break', 'kcompactd_do_work if 0', '--timeout', '3'], { cwd });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('was not hit within 3 s');
    expect(existsSync(path.join(newestRun(labDir), 'vmcore.kdump'))).toBe(false);
    const gdbs = await execa('pgrep', ['-f', `lab-hold.*${newestRun(labDir)}`], { reject: false });
    expect(gdbs.stdout).toBe('');
    expect(await runState()).toBe('running');
  }, 120_000);

  it(
    'hands the core in only when asked, and lab check holds it against the class vmlinux',
    async () => {
      const id = path.basename(dump.runDir);
      const without = path.join(cwd, 'without.tar.gz');
      await ok(['pack', id, '-o', without]);
      const listed = async (f: string) => (await execa('tar', ['-tzf', f])).stdout.split('\n');
      expect(await listed(without)).not.toContain(`runs/${id}/vmcore.kdump`);
      const withCore = path.join(cwd, 'with.tar.gz');
      await ok(['pack', id, '--with-core', '-o', withCore]);
      expect(await listed(withCore)).toContain(`runs/${id}/vmcore.kdump`);
      const teacher = tempDir('vmcore-teacher');
      writeFileSync(path.join(teacher, 'lab.json'), JSON.stringify({ name: 'debian', profile: 'debian' }));
      const state = JSON.parse(readFileSync(path.join(labDir, 'state.json'), 'utf8'));
      const args = ['check', withCore, '--json', '--max-size', '1024', '--vmlinux', state.kernel.vmlinux];
      const r = await lab(args, { cwd: teacher });
      const rows = JSON.parse(r.stdout).rows as Array<{ exercise: string; result: string; evidence: string }>;
      expect(rows.find((row) => row.exercise === '(vmcore)')).toMatchObject({ result: 'pass' });
    },
    10 * 60_000,
  );

  it('opens no dump that is not one', async () => {
    const r = await lab(['crash', 'no-such-run'], { cwd });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('no run no-such-run');
  });
});
