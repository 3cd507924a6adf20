import { LabError, withCleanup } from '../errors.js';
import { guestOf } from '../guest/guest.js';
import type { Scenario } from '../scenario/schema.js';
import { performStart } from '../scenario/start.js';
import { loadMoment, readMoments, saveMoment, type Moment } from '../vm/moments.js';
import type { SharedStart } from '../vm/shared-start.js';
import type { VmState } from '../vm/state.js';
import { requireVm } from '../vm/status.js';
import type { LabContext } from './context.js';

/** What a run's manifest says of the moment it started from. */
export interface RunStart {
  moment: string;
  savedAt: string;
}

function startOf(scenario: Scenario): NonNullable<Scenario['start']> {
  if (scenario.start) return scenario.start;
  throw new LabError('BAD_OPTION', `scenario ${scenario.name} names no start moment`, {
    hint: 'add "start": { "moment": NAME, "after": STEPS } to it, or run it without --same-start',
  });
}

/**
 * A matrix job's same start: the scenario's start moment kept in the store
 * for every VM of the same machine, made by the first job that needs it.
 * sha256 is the scenario file's, as the job pins it.
 */
export function sharedStartOf(scenario: Scenario, sha256: string, signal?: AbortSignal): SharedStart {
  const start = startOf(scenario);
  return {
    id: { scenario: scenario.name, sha256, moment: start.moment, after: start.after },
    perform: (state) => performStart(scenario, guestOf(state), signal),
  };
}

/** The start a VM's runs name in their manifests, when the VM started at a scenario's start moment (pure). */
export function runStartOf(state: VmState): RunStart | undefined {
  const s = state.start;
  return s?.from === 'start' && s.moment && s.savedAt ? { moment: s.moment, savedAt: s.savedAt } : undefined;
}

/**
 * lab run --same-start: every run from the scenario's start moment. The
 * moment is the lab's, saved once (the first time, from here) and reused while
 * the VM is the same machine; before anything, the guest as it is now is
 * saved too, and loaded back when the runs are done or stopped, so the
 * fragmenter and the scenario's settings are not left behind.
 */
export async function withSameStart<T>(
  ctx: LabContext,
  scenario: Scenario,
  runs: (startRun: () => Promise<RunStart>) => Promise<T>,
): Promise<T> {
  const start = startOf(scenario);
  const vm = await requireVm(ctx.paths);
  const before = `lab-before-${scenario.name}`;
  await saveMoment(ctx.paths, vm, before);
  return withCleanup(
    async () => {
      const fits = (m: Moment) => m.name === start.moment && m.machine === vm.start?.machine;
      let moment = (await readMoments(ctx.paths)).find(fits);
      if (!moment) {
        const stage = ctx.progress.stage(`start moment ${start.moment}: the first ${start.after} step(s)`);
        await performStart(scenario, guestOf(vm), ctx.signal);
        moment = await saveMoment(ctx.paths, vm, start.moment);
        stage.done('saved');
      }
      const saved = moment;
      return runs(async () => {
        await loadMoment(ctx.paths, vm, saved.name);
        return { moment: saved.name, savedAt: saved.savedAt };
      });
    },
    async () => {
      await loadMoment(ctx.paths, vm, before);
    },
    'putting the guest back as it was before the runs',
  );
}
