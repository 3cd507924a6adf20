import tmp from 'tmp';
import { LabError } from '../errors.js';
import type { Guest } from '../guest/guest.js';
import { parseVmstat } from '../sample/parse.js';
import { BackgroundJobs } from './background.js';
import type { Scenario } from './schema.js';
import { GuestSettings } from './settings.js';
import { resolveArgv, runSteps } from './steps.js';

/** The scenario as a run that begins at its start moment: no prepare, the start's steps done (pure). */
export function fromStart(scenario: Scenario): Scenario {
  if (!scenario.start) return scenario;
  return { ...scenario, prepare: [], steps: scenario.steps.slice(scenario.start.after) };
}

/**
 * Brings the guest to the scenario's start moment, to be saved: its
 * settings, its prepare commands, then the steps before the moment (the
 * fragmenter started and ready). Nothing is put back: the guest is saved as
 * it is now, and lab run --same-start loads the moment it saved before this
 * when the repeats are done.
 */
export async function performStart(scenario: Scenario, guest: Guest, signal?: AbortSignal): Promise<void> {
  const start = scenario.start;
  if (!start) throw new LabError('BAD_OPTION', `scenario ${scenario.name} names no start moment`);
  const settings = new GuestSettings(guest);
  await settings.set(scenario.settings);
  for (const argv of scenario.prepare) {
    const r = await guest.exec(resolveArgv(guest, argv), { signal, timeoutMs: 300_000 });
    if (r.exitCode !== 0) throw new LabError('GUEST_STEP_FAILED', `preparing (${argv.join(' ')}) exited ${r.exitCode}`);
  }
  const baseline = parseVmstat(
    (await guest.exec(['cat', '/proc/vmstat'], { signal, timeoutMs: 60_000 })).stdout.toString(),
  );
  const scratch = tmp.dirSync({ prefix: 'lab-start-', unsafeCleanup: true });
  try {
    const steps = { ...scenario, steps: scenario.steps.slice(0, start.after) };
    const background = new BackgroundJobs(guest, `/tmp/lab-start-${scenario.name}`);
    await runSteps(steps, scratch.name, { guest, background, settings, baseline, signal, onStep: () => undefined });
  } finally {
    scratch.removeCallback();
  }
}
