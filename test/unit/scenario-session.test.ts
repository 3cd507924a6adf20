import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors.js';
import { silentProgress } from '../../src/progress/progress.js';
import { parseScenario, type Scenario } from '../../src/scenario/schema.js';
import { performScenario } from '../../src/scenario/session.js';
import { GuestSettings } from '../../src/scenario/settings.js';
import { tempDir } from '../helpers/cli.js';
import { FakeGuest } from '../helpers/fake-guest.js';

const PROACTIVENESS = '/proc/sys/vm/compaction_proactiveness';
const THP = '/sys/kernel/mm/transparent_hugepage/enabled';

function scenario(steps: unknown[], extra: Record<string, unknown> = {}): Scenario {
  return parseScenario(
    JSON.stringify({
      name: 'fake',
      description: 'a scenario against a fake guest',
      settings: { [PROACTIVENESS]: '90', [THP]: 'never' },
      steps,
      expect: [{ path: 'manual', fired: 'either' }],
      ...extra,
    }),
    'fake.json',
  );
}

describe('a scenario run against a fake guest', () => {
  it('sets, runs, and puts every setting back; background jobs stopped, their output kept', async () => {
    const guest = new FakeGuest();
    const dir = tempDir('scenario');
    const s = scenario([
      { run: ['fragmenter', '--free-percent', '50'], background: true },
      { set: { [PROACTIVENESS]: '50' } },
      { run: ['true'] },
    ]);
    const r = await performScenario(s, dir, { guest, runId: 'r1', progress: silentProgress });
    expect(r.verdicts).toHaveLength(1);
    expect(guest.files.get(PROACTIVENESS)).toBe('20');
    expect(guest.files.get(THP)).toBe('madvise');
    expect(guest.running.size).toBe(0);
    expect(r.background).toEqual([
      {
        argv: ['/usr/local/lib/lab/fragmenter', '--free-percent', '50'],
        out: '/tmp/lab-r1/bg-0.out',
        output: '/usr/local/lib/lab/fragmenter --free-percent 50 started\n',
      },
    ]);
    expect(JSON.parse(readFileSync(`${dir}/background.json`, 'utf8'))[0].out).toBe('/tmp/lab-r1/bg-0.out');
    for (const f of ['samples.jsonl', 'report.svg', 'verdicts.json', 'report.txt', 'before.txt', 'after.txt'])
      expect(existsSync(`${dir}/${f}`), f).toBe(true);
  });

  it('restores the guest when a step fails, and reports the step', async () => {
    const guest = new FakeGuest();
    guest.failing.add('false');
    const s = scenario([{ run: ['fragmenter'], background: true }, { run: ['false'] }]);
    const err = await performScenario(s, tempDir('scenario'), { guest, runId: 'r2', progress: silentProgress }).catch(
      (e: unknown) => e,
    );
    expect((err as LabError).code).toBe('GUEST_STEP_FAILED');
    expect((err as LabError).message).toMatch(/^step 2 \(false\) exited 1/);
    expect(guest.files.get(PROACTIVENESS)).toBe('20');
    expect(guest.files.get(THP)).toBe('madvise');
    expect(guest.running.size).toBe(0);
  });

  it('an until step goes on once the counters grew, and after its time when they do not', async () => {
    const guest = new FakeGuest();
    const wake = (n: number) =>
      guest.files.set(
        '/proc/vmstat',
        guest.files.get('/proc/vmstat')!.replace(/^compact_daemon_wake \d+$/m, `compact_daemon_wake ${n}`),
      );
    wake(0);
    setTimeout(() => wake(2), 700);
    const started = Date.now();
    await performScenario(scenario([{ until: { compact_daemon_wake: 2 }, within: 30 }]), tempDir('scenario'), {
      guest,
      runId: 'u1',
      progress: silentProgress,
    });
    const waited = Date.now() - started;
    expect(guest.log.filter((a) => a[0] === 'cat' && a[1] === '/proc/vmstat').length).toBeGreaterThanOrEqual(2);
    expect(waited).toBeLessThan(30_000);
    const quiet = new FakeGuest();
    const dir = tempDir('scenario');
    await performScenario(scenario([{ until: { compact_daemon_wake: 1 }, within: 0.6 }]), dir, {
      guest: quiet,
      runId: 'u2',
      progress: silentProgress,
    });
    expect(JSON.parse(readFileSync(`${dir}/steps.json`, 'utf8'))).toEqual([
      { t: expect.any(Number), label: 'until compact_daemon_wake (≤ 0.6 s)' },
    ]);
    expect(quiet.log.filter((a) => a[0] === 'cat' && a[1] === '/proc/vmstat').length).toBeGreaterThanOrEqual(1);
  });

  it('restores the guest when interrupted, and says interrupted', async () => {
    const guest = new FakeGuest();
    const stop = new AbortController();
    const s = scenario([{ run: ['fragmenter'], background: true }, { sleep: 30 }]);
    setTimeout(() => stop.abort(), 50);
    const err = await performScenario(s, tempDir('scenario'), {
      guest,
      runId: 'r3',
      progress: silentProgress,
      signal: stop.signal,
    }).catch((e: unknown) => e);
    expect((err as LabError).code).toBe('INTERRUPTED');
    expect(guest.files.get(PROACTIVENESS)).toBe('20');
    expect(guest.running.size).toBe(0);
  });

  it('reports a failed restore together with the failure that came first', async () => {
    const guest = new FakeGuest();
    guest.failing.add('false');
    const s = scenario([{ run: ['false'] }]);
    // the write that sets THP goes through; restoring it fails
    guest.failWrites.add(`${THP}=madvise`);
    const err = (await performScenario(s, tempDir('scenario'), { guest, runId: 'r4', progress: silentProgress }).catch(
      (e: unknown) => e,
    )) as LabError;
    expect(err.code).toBe('GUEST_STEP_FAILED');
    expect(err.message).toMatch(
      /step 1 \(false\) exited 1.*; restoring the guest failed too: 1 guest setting\(s\) could not be restored: \/sys\/kernel\/mm\/transparent_hugepage\/enabled back to madvise/,
    );
    // the other setting still went back
    expect(guest.files.get(PROACTIVENESS)).toBe('20');
  });
});

describe('guest settings', () => {
  it('go back to the first value seen, in reverse order, each file on its own', async () => {
    const guest = new FakeGuest();
    const settings = new GuestSettings(guest);
    await settings.set({ [PROACTIVENESS]: '90' });
    await settings.set({ [PROACTIVENESS]: '50', [THP]: 'always' });
    guest.log.length = 0;
    await settings.restore();
    expect(guest.files.get(PROACTIVENESS)).toBe('20');
    expect(guest.files.get(THP)).toBe('madvise');
    expect(guest.log.map((a) => a.slice(1))).toEqual([
      [THP, 'madvise'],
      [PROACTIVENESS, '20'],
    ]);
  });

  it('names a setting the guest does not have', async () => {
    const settings = new GuestSettings(new FakeGuest());
    await expect(settings.set({ '/proc/sys/vm/no_such_knob': '1' })).rejects.toThrow(
      '/proc/sys/vm/no_such_knob does not exist in the guest',
    );
  });
});
