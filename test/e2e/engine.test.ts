/**
 * lab debug --engine guest on the real kernel: kprobe events record every
 * hit of a manual compaction inside the guest, the host symbolises the
 * stacks, and the records agree with the gdb engine's. The initramfs boots in
 * seconds; the kernel comes from the store (lab.test.ts builds it).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hit } from '../../src/gdb/hits.js';
import { parseHits } from '../../src/record/hit-schema.js';
import { freePort, lab, LAB, newestRun, tempDir } from '../helpers/cli.js';

const cwd = tempDir('e2e-engine');
const labDir = path.join(cwd, '.lab');

async function record(...args: string[]): Promise<{ hits: Hit[]; run: string; json: Record<string, unknown> }> {
  const r = await lab(['debug', '--json', '--no-report', ...args], { cwd });
  expect(r.exitCode, r.stderr).toBe(0);
  const run = newestRun(labDir);
  return { hits: parseHits(readFileSync(path.join(run, 'hits.jsonl'), 'utf8')), run, json: JSON.parse(r.stdout) };
}

async function guest(...argv: string[]): Promise<{ exitCode: number; stdout: string }> {
  const r = await lab(['exec', '--', ...argv], { cwd });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout.trim() };
}

/** What the engine may leave in the guest: its instance and its probes (none, after every run). */
async function engineLeftovers(): Promise<string[]> {
  const probes = (await guest('cat', '/sys/kernel/tracing/kprobe_events')).stdout
    .split('\n')
    .filter((l) => l.includes('lab_engine'));
  const instance =
    (await guest('test', '-d', '/sys/kernel/tracing/instances/lab_engine')).exitCode === 0
      ? ['instances/lab_engine']
      : [];
  return [...probes, ...instance];
}

const stackOf = (h: Hit) => h.frames.map((f) => `${f.function}${f.inlined ? ' [inlined]' : ''}`).join(' < ');

beforeAll(async () => {
  expect((await lab(['build', '--rootfs', 'initramfs'], { cwd })).exitCode).toBe(0);
  const up = await lab(['up', '--gdb-port', String(await freePort())], { cwd });
  expect(up.exitCode, up.stderr).toBe(0);
}, 45 * 60_000);

afterAll(async () => {
  await lab(['down'], { cwd });
});

describe('lab debug --engine guest', () => {
  const breaks = [
    '--break',
    'compact_zone',
    '--break',
    'compact_unlock_should_abort',
    '--break',
    'isolation_suitable',
    '--trigger',
    'compact',
    '--count',
    '0',
    '--timeout',
    '300',
  ];

  it('records every hit of a manual compaction, as the kernel counted them, with gdb-quality frames', async () => {
    const { hits, run, json } = await record('--engine', 'guest', ...breaks);
    expect(json.outcome).toBe('trigger-ended');
    const engine = JSON.parse(readFileSync(path.join(run, 'engine.json'), 'utf8'));
    expect(engine.fired).toBeGreaterThan(0);
    expect(engine.recorded).toBe(engine.fired);
    expect(engine.dropped).toBe(0);
    expect(hits).toHaveLength(engine.fired);
    for (const p of engine.probes) expect(p.recorded, p.event).toBe(p.hits);

    // a probe at a function's first instruction still sees its caller (lab probes past the prologue)
    const zone = hits.find((h) => h.breakpoint === 'compact_zone')!;
    expect(zone.frames.slice(0, 2).map((f) => f.function)).toEqual(['compact_zone', 'compact_node']);
    expect(zone.frames[0]!.pc).toBe(zone.frames[0]!.pc.toLowerCase());
    // an inlined function: its own frame marked inlined, then the function it is inlined into, at the same pc
    const unlock = hits.find((h) => h.breakpoint === 'compact_unlock_should_abort')!;
    expect(unlock.frames[0]).toMatchObject({
      function: 'compact_unlock_should_abort',
      inlined: true,
      file: 'mm/compaction.c',
    });
    expect(unlock.frames[1]).toMatchObject({ inlined: false, pc: unlock.frames[0]!.pc });
    // every inlined copy is a site of its own
    const suitable = hits.filter((h) => h.breakpoint === 'isolation_suitable');
    expect(suitable.length).toBeGreaterThan(0);
    expect(suitable.every((h) => h.sites! > 1 && h.site! >= 1 && h.site! <= h.sites!)).toBe(true);
    expect(hits.every((h) => h.cpu !== null && h.pid !== null && h.elapsed >= 0)).toBe(true);
    expect(hits.map((h) => h.seq)).toEqual(hits.map((_, i) => i + 1));
    expect(readFileSync(path.join(run, 'backtraces.txt'), 'utf8')).toMatch(
      /^#1 {2}0x[0-9a-f]+ in compact_node \(\) at mm\/compaction\.c:\d+$/m,
    );
    expect(await engineLeftovers()).toEqual([]);
  }, 600_000);

  it("finds the gdb engine's call paths for the same request", async () => {
    const viaGdb = await record(...breaks);
    const viaGuest = await record('--engine', 'guest', ...breaks);
    const gdbStacks = new Set(viaGdb.hits.map(stackOf));
    const guestStacks = new Set(viaGuest.hits.map(stackOf));
    const missing = [...gdbStacks].filter((s) => !guestStacks.has(s));
    expect(gdbStacks.size).toBeGreaterThan(0);
    // the bar: 95 % of gdb's distinct stacks, identically
    expect(
      missing.length / gdbStacks.size,
      `gdb stacks the guest engine did not record:\n${missing.join('\n')}`,
    ).toBeLessThanOrEqual(0.05);
  }, 900_000);

  it('removes its probes and its tracing instance when interrupted, and refuses what no kprobe can read', async () => {
    const child = execa(
      'node',
      [LAB, 'debug', '--engine', 'guest', '--break', 'compact_zone', '--count', '0', '--timeout', '300'],
      { cwd, reject: false },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 120_000;
    while (!/recording in the guest/.test(stderr) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    expect(stderr).toMatch(/recording in the guest/);
    child.kill('SIGINT');
    expect((await child).exitCode).toBe(130);
    expect(await engineLeftovers()).toEqual([]);

    const bad = await lab(['debug', '--engine', 'guest', '--break', 'compact_zone', '--capture', 'cc->order'], { cwd });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--capture cc->order is not something a kprobe can read/);
  }, 300_000);
});
