/**
 * The debugger a student works in, on the real thing: captures, arguments,
 * conditions and allocator snapshots through QEMU's gdbstub, the same
 * recording through the kernel's own KGDB on a third serial port, and the
 * allocator commands against /proc. The initramfs boots in seconds; the
 * kernel comes from the store (lab.test.ts builds it).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hit } from '../../src/gdb/hits.js';
import { parseHits } from '../../src/record/hit-schema.js';
import { parseBuddyinfo, parsePagetypeinfo } from '../../src/sample/parse.js';
import { freePort, lab, newestRun, tempDir } from '../helpers/cli.js';

const cwd = tempDir('e2e-debugger');
const labDir = path.join(cwd, '.lab');

async function record(...args: string[]): Promise<{ hits: Hit[]; run: string; json: Record<string, unknown> }> {
  const r = await lab(['debug', '--json', ...args], { cwd });
  expect(r.exitCode, r.stderr).toBe(0);
  const run = newestRun(labDir);
  return { hits: parseHits(readFileSync(path.join(run, 'hits.jsonl'), 'utf8')), run, json: JSON.parse(r.stdout) };
}

const names = (h: Hit) => h.frames.map((f) => `${f.function}${f.inlined ? ' [inlined]' : ''}`);

beforeAll(async () => {
  expect((await lab(['build', '--rootfs', 'initramfs'], { cwd })).exitCode).toBe(0);
  const up = await lab(['up', '--kgdb', '--gdb-port', String(await freePort())], { cwd });
  expect(up.exitCode, up.stderr).toBe(0);
}, 45 * 60_000);

afterAll(async () => {
  await lab(['down'], { cwd });
});

describe('lab debug records more than frames', () => {
  it("captures cc->order and the zone's name, every frame's arguments, and a failing capture's error", async () => {
    const { hits } = await record(
      '--break',
      'compact_zone',
      '--capture',
      'cc->order',
      '--capture',
      'cc->zone->name',
      '--capture',
      'cc->no_such_field',
      '--args',
      '--trigger',
      'compact',
      '--count',
      '1',
    );
    expect(hits).toHaveLength(1);
    const hit = hits[0]!;
    expect(hit.captures?.['cc->order']).toEqual({ value: -1 });
    expect(hit.captures?.['cc->zone->name']).toEqual({ value: 'DMA32' });
    expect(hit.captures?.['cc->no_such_field']).toMatchObject({
      error: expect.stringMatching(/no member named no_such_field/),
    });
    expect(hit.frames[0]!.args).toMatchObject({ cc: expect.stringMatching(/^0x[0-9a-f]+$/) });
    expect(Object.values(hit.frames.find((f) => f.function === 'sysctl_compaction_handler')!.args!)).toContain(
      '<optimized out>',
    );
    expect(hit.cpu).toBeGreaterThanOrEqual(0);
  }, 180_000);

  it('stops only where a condition holds, at a FILE:LINE, counting every inlined site', async () => {
    // isolation_suitable() is inlined into five places in 6.1's mm/compaction.c
    const { hits, json } = await record(
      '--break',
      'compact_zone if cc->order == 3',
      '--break',
      'mm/compaction.c:2400',
      '--break',
      'isolation_suitable',
      '--max-per-break',
      '2',
      '--trigger',
      'compact',
      '--count',
      '0',
      '--timeout',
      '15',
    );
    expect(hits.filter((h) => h.breakpoint === 'compact_zone if cc->order == 3')).toEqual([]);
    expect(hits.filter((h) => h.breakpoint === 'mm/compaction.c:2400')).toHaveLength(1);
    const suitable = hits.filter((h) => h.breakpoint === 'isolation_suitable');
    expect(suitable).toHaveLength(2);
    const sites = (json.breakpoints as Array<{ spec: string; sites: number }>).find(
      (b) => b.spec === 'isolation_suitable',
    )!.sites;
    expect(sites).toBeGreaterThan(1);
    for (const h of suitable) {
      expect(h.sites).toBe(sites);
      expect(h.site).toBeGreaterThanOrEqual(1);
      expect(h.site).toBeLessThanOrEqual(sites);
      expect(h.frames[0]).toMatchObject({ function: 'isolation_suitable', inlined: true });
    }
  }, 180_000);

  it('refuses a line with no code and a condition that does not parse, before attaching', async () => {
    const r = await lab(
      ['debug', '--break', 'mm/compaction.c:99999', '--break', 'compact_zone if no_such_symbol > 1'],
      { cwd },
    );
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /no code at mm\/compaction.c:99999; "compact_zone if no_such_symbol > 1": No symbol "no_such_symbol" in current context/,
    );
  });

  it('runs any guest command as the trigger', async () => {
    const { hits, json } = await record(
      '--break',
      'compact_zone',
      '--count',
      '1',
      '--',
      'sh',
      '-c',
      'echo 1 > /proc/sys/vm/compact_memory',
    );
    expect(hits).toHaveLength(1);
    expect(json.trigger).toMatchObject({ argv: ['sh', '-c', 'echo 1 > /proc/sys/vm/compact_memory'], exitCode: 0 });
  }, 180_000);
});

describe('real KGDB', () => {
  it('records the same frames for the same call as the gdbstub', async () => {
    const stub = await record('--break', 'compact_zone', '--trigger', 'compact', '--count', '1');
    const kgdb = await record('--via', 'kgdb', '--break', 'compact_zone', '--trigger', 'compact', '--count', '1');
    expect(kgdb.hits).toHaveLength(1);
    expect(names(kgdb.hits[0]!)).toEqual(names(stub.hits[0]!));
    expect(kgdb.hits[0]!.comm).toBe('sh');
    expect(JSON.parse(readFileSync(path.join(kgdb.run, 'recorder.json'), 'utf8')).via).toBe('kgdb');
    // the kernel runs on after KGDB detached
    expect((await lab(['exec', '--', 'true'], { cwd })).exitCode).toBe(0);
  }, 300_000);

  it('ends at its timeout and leaves the kernel running, not stopped in KGDB', async () => {
    const r = await lab(
      ['debug', '--via', 'kgdb', '--break', 'kcompactd', '--timeout', '5', '--count', '0', '--json'],
      { cwd },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).outcome).toBe('timeout');
    expect((await lab(['exec', '--', 'true'], { cwd, timeout: 30_000 })).exitCode).toBe(0);
  }, 300_000);
});

describe('the allocator at a breakpoint', () => {
  it('lab-buddy and lab-pageblocks agree with /proc read just before the stop, on an idle guest', async () => {
    const proc = await lab(['exec', '--', 'cat', '/proc/buddyinfo', '/proc/pagetypeinfo'], { cwd });
    const gdb = await lab(['gdb', '--', '-batch', '-ex', 'lab-buddy --json', '-ex', 'lab-pageblocks DMA32 --json'], {
      cwd,
    });
    expect(gdb.exitCode, gdb.stderr).toBe(0);
    const [buddy, blocks] = gdb.stdout
      .split('\n')
      .filter((l) => l.startsWith('[{') || l.startsWith('{'))
      .map((l) => JSON.parse(l));
    const procBuddy = parseBuddyinfo(proc.stdout).find((z) => z.zone === 'DMA32')!;
    const procTypes = parsePagetypeinfo(proc.stdout);
    const zone = buddy.find((z: { zone: string }) => z.zone === 'DMA32');
    expect(zone.mismatches).toEqual([]);
    // the exec and gdb's attach allocate and free a few pages in between: small blocks may move by a few,
    // a larger one by one split or merge, and the largest (most of memory) not at all
    const top = zone.nr_free.length - 1;
    zone.nr_free.forEach((n: number, order: number) => {
      const diff = Math.abs(n - procBuddy.free[order]!);
      expect(diff, `order ${order}`).toBeLessThanOrEqual(order === top ? 0 : order >= 4 ? 1 : 8);
    });
    const movable = procTypes.free.find((r) => r.zone === 'DMA32' && r.type === 'Movable')!;
    expect(zone.by_type.Movable.at(-1)).toBe(movable.free.at(-1));
    const procBlocks = procTypes.blocks.find((r) => r.zone === 'DMA32')!;
    expect(blocks.by_type).toMatchObject({
      Movable: procBlocks.counts.Movable,
      Unmovable: procBlocks.counts.Unmovable,
    });
  }, 180_000);

  it('is recorded with lab debug --snapshot at the first hit and at the end', async () => {
    const { run } = await record(
      '--break',
      'compact_zone',
      '--snapshot',
      'buddy',
      '--snapshot',
      'zone',
      '--trigger',
      'compact',
      '--count',
      '1',
    );
    const lines = readFileSync(path.join(run, 'snapshots.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => `${l.when}:${l.kind}`)).toEqual(['hit:buddy', 'hit:zone', 'end:buddy', 'end:zone']);
    expect(lines[1].data.zones[0]).toMatchObject({ zone: 'DMA32', compact_defer_shift: expect.any(Number) });
  }, 180_000);
});
