import { mkdir } from 'node:fs/promises';
import { LabError, withSecondError } from '../errors.js';
import type { DebugRequest, DebugResult } from '../gdb/debug.js';
import type { Guest } from '../guest/guest.js';
import type { Progress } from '../progress/progress.js';
import { Sampler, takeSnapshot, type Snapshot } from '../sample/snapshot.js';
import type { RunContents } from '../record/run-contents.js';
import { writeRunFile } from '../record/write.js';
import { saveTrace } from '../record/trace-files.js';
import { startTrace, type ActiveTrace, type SavedTrace, type TraceSummary } from '../trace/trace.js';
import { writeScenarioArtifacts, type StepMark } from './artifacts.js';
import { BackgroundJobs, type BackgroundOutput } from './background.js';
import { collectEvidence } from './evidence.js';
import type { Scenario } from './schema.js';
import { GuestSettings, readSettings } from './settings.js';
import { evaluate, type Evidence, type Verdict } from './verdict.js';
import { resolveArgv, runSteps, stepLabel } from './steps.js';
import { fromStart } from './start.js';

export { resolveArgv, stepLabel } from './steps.js';

export interface ScenarioResult {
  verdicts: Verdict[];
  ok: boolean;
  evidence: Evidence;
  seconds: number;
  trace?: TraceSummary;
  debug?: Pick<DebugResult, 'outcome' | 'seconds'> & { hits: number };
  background: BackgroundOutput[];
  /** what the run's exports and report are drawn from */
  contents: RunContents;
}

/** Records breakpoint hits for the scenario's breakpoints (gdb on the VM; a test gives its own). */
export type StartDebug = (
  request: DebugRequest,
  runDir: string,
  options: { signal: AbortSignal; onArmed: () => void },
) => Promise<DebugResult>;

export interface ScenarioOptions {
  guest: Guest;
  /** The run's id: names its scratch directory in the guest. */
  runId: string;
  startDebug?: StartDebug;
  progress: Progress;
  signal?: AbortSignal;
  sourceTree?: string;
  /** "a|b": the first of the names this kernel has (from its System.map), else the first. */
  resolveFunction?: (alternatives: string) => string;
  /** The guest is at the scenario's start moment: its prepare and start steps are done. */
  fromStart?: boolean;
}

const PROACTIVENESS = '/proc/sys/vm/compaction_proactiveness';
const DEFRAG = '/sys/kernel/mm/transparent_hugepage/defrag';
/**
 * One scenario run: settings, trace and breakpoints armed, the steps, then
 * everything put back (background jobs stopped, tracefs restored, settings
 * restored in reverse), on success, failure and Ctrl-C alike; a restore that
 * fails after a failure is reported with it, never instead of it.
 */
export async function performScenario(
  scenario: Scenario,
  runDir: string,
  options: ScenarioOptions,
): Promise<ScenarioResult> {
  const started = Date.now();
  const { guest, progress, signal } = options;
  const trial = options.fromStart ? fromStart(scenario) : scenario;
  await mkdir(runDir, { recursive: true });
  const settings = new GuestSettings(guest);
  const background = new BackgroundJobs(guest, `/tmp/lab-${options.runId}`);
  const sampler = new Sampler(guest, scenario.sample.interval * 1000);
  const debugStop = new AbortController();
  const stage = progress.stage(`scenario ${scenario.name}`);
  let trace: ActiveTrace | undefined;
  let debugRun: Promise<DebugResult> | undefined;
  let before: Snapshot | undefined;
  let after: Snapshot | undefined;
  let saved: SavedTrace | undefined;
  let debug: DebugResult | undefined;
  let context: Record<string, string> = {};
  let outputs: BackgroundOutput[] = [];
  const steps: StepMark[] = [];

  const cleanUp = async () => {
    debugStop.abort();
    await debugRun?.catch(() => undefined);
    await sampler.stop();
    const failures: unknown[] = [];
    outputs = await background.stopAll();
    await trace?.restore().catch((e: unknown) => failures.push(e));
    await settings.restore().catch((e: unknown) => failures.push(e));
    if (failures.length) throw failures.reduce((a, b) => withSecondError(a, b, 'restoring the guest'));
  };

  try {
    await settings.set(scenario.settings);
    context = await readSettings(guest, [PROACTIVENESS, DEFRAG]);
    for (const argv of trial.prepare) {
      const r = await guest.exec(resolveArgv(guest, argv), { signal, timeoutMs: 300_000 });
      if (r.exitCode !== 0)
        throw new LabError(
          'GUEST_STEP_FAILED',
          `preparing (${argv.join(' ')}) exited ${r.exitCode}: ${r.stderr.toString().trim().split('\n').at(-1) ?? ''}`,
        );
    }
    const first = await takeSnapshot(guest, 0);
    before = first.snapshot;
    await writeRunFile(runDir, 'before', first.raw);
    sampler.start();
    const samplingFrom = Date.now();
    if (scenario.trace)
      trace = await startTrace(guest, { ...scenario.trace, pid: await tracedPid(guest, scenario.trace.pidOf) });
    if (scenario.breakpoints) {
      if (!options.startDebug)
        throw new LabError('BAD_OPTION', `scenario ${scenario.name} has breakpoints, and no debugger was given`);
      let armed!: () => void;
      const isArmed = new Promise<void>((resolve) => (armed = resolve));
      const request = {
        breakpoints: scenario.breakpoints.functions.map((f) => options.resolveFunction?.(f) ?? f.split('|')[0]!),
        count: scenario.breakpoints.count,
        timeoutSeconds: 3600,
        sourceTree: options.sourceTree,
      };
      debugRun = options.startDebug(request, runDir, {
        signal: AbortSignal.any([debugStop.signal, ...(signal ? [signal] : [])]),
        onArmed: armed,
      });
      await Promise.race([isArmed, debugRun.then(() => undefined)]);
    }
    await runSteps(trial, runDir, {
      guest,
      baseline: before.vmstat,
      background,
      settings,
      signal,
      onStep: (n) => {
        stage.update({ done: n, total: trial.steps.length });
        steps.push({ t: (Date.now() - samplingFrom) / 1000, label: stepLabel(trial.steps[n - 1]!) });
      },
    });
    if (debugRun) {
      debugStop.abort();
      debug = await debugRun;
    }
    if (trace) saved = await saveTrace(runDir, await trace.stop());
    await sampler.stop();
    // on the samples' clock, so the last point follows them
    const last = await takeSnapshot(guest, (Date.now() - samplingFrom) / 1000);
    after = last.snapshot;
    await writeRunFile(runDir, 'after', last.raw);
  } catch (err) {
    try {
      await cleanUp();
    } catch (cleanupErr) {
      throw withSecondError(err, cleanupErr, 'restoring the guest');
    }
    throw err;
  }
  await cleanUp();

  const evidence = collectEvidence(scenario, {
    before: before,
    after: after,
    samples: sampler.series,
    trace: saved?.summary,
    hits: debug?.hits ?? [],
    proactiveness: Number(context[PROACTIVENESS]),
    thpDefrag: context[DEFRAG],
  });
  const verdicts = scenario.expect.map((e) => evaluate(e, evidence));
  const series = [before, ...sampler.series, after];
  const written = await writeScenarioArtifacts(runDir, {
    name: scenario.name,
    series,
    verdicts,
    evidence,
    background: outputs,
    steps,
  });
  const ok = verdicts.every((v) => v.ok);
  stage.done(ok ? 'as expected' : 'not as expected');
  return {
    verdicts,
    ok,
    evidence,
    seconds: (Date.now() - started) / 1000,
    trace: saved?.summary,
    debug: debug ? { outcome: debug.outcome, seconds: debug.seconds, hits: debug.hits.length } : undefined,
    background: outputs,
    contents: {
      ...written,
      ...(debug ? { hits: debug.hits } : {}),
      ...(saved ? { records: saved.records } : {}),
      ...(before.pagetypeinfo ? { pagetypeBefore: before.pagetypeinfo } : {}),
      ...(after.pagetypeinfo ? { pagetypeAfter: after.pagetypeinfo } : {}),
    },
  };
}

async function tracedPid(guest: Guest, name: string | undefined): Promise<number | undefined> {
  if (!name) return undefined;
  const r = await guest.exec(['pgrep', '-x', name], { timeoutMs: 60_000 });
  const pid = Number(r.stdout.toString().trim().split('\n')[0]);
  if (!pid) throw new LabError('NO_TASK', `no task named ${name} in the guest`);
  return pid;
}
