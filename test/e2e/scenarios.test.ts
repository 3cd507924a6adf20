/**
 * The compaction scenarios on the Debian image under TCG: each path's evidence
 * really shows up, the seed's stress test really stays quiet, and an
 * interrupted run leaves the guest as it found it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, lab, LAB, newestRun, recorderGdbsOf, tempDir } from '../helpers/cli.js';

const cwd = tempDir('e2e-scenarios');
const labDir = path.join(cwd, '.lab');

async function guest(...argv: string[]): Promise<string> {
  const r = await lab(['exec', '--', ...argv], { cwd });
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout.trim();
}

async function tracingState() {
  return guest(
    'sh',
    '-c',
    'cd /sys/kernel/tracing && cat tracing_on current_tracer set_event ' +
      'set_ftrace_filter set_graph_function set_ftrace_pid | tr "\\n" "|"',
  );
}

beforeAll(async () => {
  const b = await lab(['build'], { cwd });
  expect(b.exitCode, b.stderr).toBe(0);
  const u = await lab(['up', '--gdb-port', String(await freePort())], { cwd });
  expect(u.exitCode, u.stderr).toBe(0);
}, 45 * 60_000);

afterAll(async () => {
  await lab(['down'], { cwd });
});

describe('lab trace', () => {
  it('traces a guest command with function_graph, filters and events, and restores tracefs', async () => {
    const before = await tracingState();
    const r = await lab(
      [
        'trace',
        '--tracer',
        'function_graph',
        '--filter',
        '*compact*',
        '--filter',
        '*migrate*',
        '--event',
        'compaction',
        '--json',
        '--',
        'sh',
        '-c',
        'echo 1 > /proc/sys/vm/compact_memory',
      ],
      { cwd },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.functions.map((f: { fn: string }) => f.fn)).toContain('compact_zone');
    expect(out.events.mm_compaction_end).toBeGreaterThanOrEqual(1);
    expect(readdirSync(out.runDir)).toEqual(
      expect.arrayContaining(['trace.txt', 'trace-summary.json', 'manifest.json']),
    );
    expect(await tracingState()).toBe(before);
  }, 120_000);

  it('restores tracefs when interrupted, and refuses a filter that matches nothing', async () => {
    const before = await tracingState();
    const child = execa('node', [LAB, 'trace', '--tracer', 'function', '--filter', 'kcompactd*', '--duration', '120'], {
      cwd,
      reject: false,
    });
    const deadline = Date.now() + 60_000;
    let armed = false;
    while (!armed && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      armed = (await guest('cat', '/sys/kernel/tracing/current_tracer')) === 'function';
    }
    expect(armed).toBe(true);
    child.kill('SIGINT');
    expect((await child).exitCode).toBe(130);
    expect(await tracingState()).toBe(before);
    const bad = await lab(['trace', '--filter', 'no_such_function_at_all', '--duration', '1'], { cwd });
    expect(bad.exitCode).toBe(6);
    expect(bad.stderr.trim()).toMatch(
      /^lab: lab-write: could not write "no_such_function_at_all" to .*set_ftrace_filter: check the filter/,
    );
    expect(await tracingState()).toBe(before);
  }, 180_000);
});

describe('lab run', () => {
  for (const name of ['manual', 'direct', 'kcompactd', 'proactive']) {
    it(`${name}: the expected path fires, with its evidence`, async () => {
      const r = await lab(['run', name, '--json'], { cwd });
      expect(r.exitCode, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.ok).toBe(true);
      expect(out.verdicts).toHaveLength(1);
      expect(out.verdicts[0]).toMatchObject({ path: name, fired: true, ok: true });
      for (const row of out.verdicts[0].rows) expect(row.met, row.what).toBe(true);
      const files = readdirSync(out.runDir);
      expect(files).toEqual(
        expect.arrayContaining([
          'manifest.json',
          'verdicts.json',
          'report.txt',
          'samples.jsonl',
          'before.txt',
          'after.txt',
          'hits.jsonl',
        ]),
      );
      // a safety net, not a speed test: a scenario waits for its fragmenter, which a loaded host slows down
    }, 600_000);
  }

  it("stress: reproduces the seed's quiet kcompactd and says why", async () => {
    const r = await lab(['run', 'stress'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/kcompactd +did not fire \(as the seed saw\)/);
    expect(r.stdout).toMatch(/why: nothing woke kcompactd: compact_daemon_wake \+0/);
    expect(r.stdout).toMatch(
      /why: kcompactd ran \d+ traced calls but no compaction|why: tracing kcompactd by pid recorded 0 calls|why: kcompactd did compact, but by its own 500 ms timer/,
    );
    expect(r.stdout).toMatch(/^proactive +(FIRED|did not fire) \(observed\)/m);
  }, 300_000);

  it('leaves sysctls, THP and tracing as they were when interrupted', async () => {
    const before = {
      proactiveness: await guest('cat', '/proc/sys/vm/compaction_proactiveness'),
      thp: await guest(
        'cat',
        '/sys/kernel/mm/transparent_hugepage/enabled',
        '/sys/kernel/mm/transparent_hugepage/defrag',
      ),
      tracing: await tracingState(),
    };
    const child = execa('node', [LAB, 'run', 'kcompactd'], { cwd, reject: false });
    // interrupt once the workload is running: the run names its background job's output file, which exists in the guest
    const deadline = Date.now() + 120_000;
    let running = false;
    while (!running && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      const jobs = path.join(newestRun(labDir), 'background.json');
      if (!existsSync(jobs)) continue;
      const [job] = JSON.parse(readFileSync(jobs, 'utf8')) as Array<{ out: string }>;
      running = !!job && (await lab(['exec', '--', 'test', '-e', job.out], { cwd })).exitCode === 0;
    }
    expect(running).toBe(true);
    expect(await guest('cat', '/sys/kernel/mm/transparent_hugepage/defrag')).toMatch(/\[defer\]/);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(await guest('cat', '/proc/sys/vm/compaction_proactiveness')).toBe(before.proactiveness);
    expect(
      await guest('cat', '/sys/kernel/mm/transparent_hugepage/enabled', '/sys/kernel/mm/transparent_hugepage/defrag'),
    ).toBe(before.thp);
    expect(await tracingState()).toBe(before.tracing);
    expect(await recorderGdbsOf(path.join(cwd, '.lab'))).toEqual([]);
    expect((await lab(['exec', '--', 'pgrep', '-x', 'fragmenter'], { cwd })).exitCode).toBe(1);
  }, 300_000);

  it('refuses a scenario file with an unknown key, naming the file and the key', async () => {
    const dir = tempDir('bad-scenario');
    const file = path.join(dir, 'bad.json');
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(
        file,
        JSON.stringify({
          name: 'bad',
          description: 'x',
          steps: [{ sleep: 1 }],
          expect: [{ path: 'manual' }],
          workload: 'x',
        }),
      ),
    );
    const r = await lab(['run', file], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toMatch(
      new RegExp(
        `^lab: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: \\(top level\\): unknown key "workload" \\(allowed: name, description`,
      ),
    );
    expect(existsSync(labDir)).toBe(true);
  });
});
