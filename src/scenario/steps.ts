/**
 * A scenario's steps, one after another in the guest: a command (in the
 * background or not), a sleep, more settings, or a wait for vmstat counters to
 * grow. session.ts orders the rest (settings, sampling, trace, breakpoints).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InterruptedError, LabError } from '../errors.js';
import { guestTool, type Guest } from '../guest/guest.js';
import { parseVmstat } from '../sample/parse.js';
import { sleep } from '../util/sleep.js';
import type { BackgroundJobs } from './background.js';
import type { Scenario } from './schema.js';
import type { GuestSettings } from './settings.js';

const LAB_TOOLS = ['fragmenter', 'lab-write', 'lab-exec'] as const;

/** A lab tool named bare ("fragmenter") is the one lab installed in the guest. */
export function resolveArgv(guest: Guest, argv: string[]): string[] {
  const tool = LAB_TOOLS.find((t) => t === argv[0]);
  return tool ? [guestTool(guest, tool), ...argv.slice(1)] : argv;
}

/** A step as one short line for a chart: "sleep 2", "compaction_proactiveness=100", "fragmenter … &" (pure). */
export function stepLabel(step: Scenario['steps'][number]): string {
  if ('sleep' in step) return `sleep ${step.sleep}`;
  if ('until' in step) return `until ${Object.keys(step.until).join(', ')} (≤ ${step.within} s)`;
  if ('set' in step)
    return Object.entries(step.set)
      .map(([k, v]) => `${k.split('/').at(-1)}=${v}`)
      .join(' ');
  const words = step.run.slice(0, 3).join(' ') + (step.run.length > 3 ? ' …' : '');
  return step.background ? `${words} &` : words;
}

/**
 * Polls /proc/vmstat until every counter has grown by its amount over the
 * baseline, or the time is up (pure waiting: no verdict here).
 */
async function waitForCounters(
  guest: Guest,
  until: Record<string, number>,
  baseline: Record<string, number>,
  withinSeconds: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + withinSeconds * 1000;
  while (Date.now() < deadline) {
    const now = parseVmstat(
      (await guest.exec(['cat', '/proc/vmstat'], { signal, timeoutMs: 60_000 })).stdout.toString(),
    );
    if (Object.entries(until).every(([name, grow]) => (now[name] ?? 0) - (baseline[name] ?? 0) >= grow)) return;
    await sleep(500, signal);
  }
}

export async function runSteps(
  scenario: Scenario,
  runDir: string,
  s: {
    guest: Guest;
    background: BackgroundJobs;
    settings: GuestSettings;
    baseline: Record<string, number>;
    signal?: AbortSignal;
    onStep: (n: number) => void;
  },
): Promise<void> {
  let n = 0;
  const started: Array<{ argv: string[]; out: string }> = [];
  for (const step of scenario.steps) {
    if (s.signal?.aborted) throw new InterruptedError(`scenario ${scenario.name}`);
    s.onStep(++n);
    if ('sleep' in step) await sleep(step.sleep * 1000, s.signal);
    else if ('until' in step) await waitForCounters(s.guest, step.until, s.baseline, step.within, s.signal);
    else if ('set' in step) await s.settings.set(step.set);
    else if (step.background) {
      const argv = resolveArgv(s.guest, step.run);
      const job = await s.background.start(argv, s.signal);
      const { out } = job;
      started.push({ argv, out });
      // written as each job starts, so a reader knows where its output goes while the run goes on
      await writeFile(path.join(runDir, 'background.json'), JSON.stringify(started, null, 2));
      if (step.ready) await s.background.ready(job, argv, step.readyTimeout, s.signal);
    } else {
      const r = await s.guest.exec(resolveArgv(s.guest, step.run), { signal: s.signal, timeoutMs: 900_000 });
      await writeFile(path.join(runDir, `step-${n}.out`), Buffer.concat([r.stdout, r.stderr]));
      if (r.exitCode !== 0) {
        throw new LabError(
          'GUEST_STEP_FAILED',
          `step ${n} (${step.run.join(' ')}) exited ${r.exitCode}: ` +
            `${r.stderr.toString().trim().split('\n').at(-1) ?? ''}`,
        );
      }
    }
  }
}
