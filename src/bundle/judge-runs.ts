import type { Exercise } from '../config/lab-file.js';
import { LabError } from '../errors.js';
import { RUN_FILES } from '../record/files.js';
import { readRunEvidence } from './evidence.js';
import { judgeExercises, type ExerciseResult, type RunEvidence } from './exercises.js';
import { KernelWitness } from './kernel-witness.js';
import { rederiveVerdicts } from './scenario-check.js';

export interface JudgeOptions {
  /** The class's kernel: every recorded pc is checked against it (one witness serves a whole check). */
  witness?: KernelWitness;
  /** A vmlinux to open a witness on, when no witness is given. */
  vmlinux?: string;
  /** Why there is no kernel to check hits against: a run with hits then passes nothing. */
  unverified?: string;
  signal?: AbortSignal;
}

/**
 * A run as its own files and the kernel say it is: hits checked against
 * vmlinux, a scenario's verdicts derived again from its raw files. What
 * does not hold becomes the run's problem, and the run passes nothing.
 */
export async function checkRun(
  run: RunEvidence,
  dir: string,
  kernel: { witness?: KernelWitness; unverified?: string },
  scenarios: Set<string>,
): Promise<RunEvidence> {
  const { witness } = kernel;
  const checked: RunEvidence = { ...run };
  if (run.unreadableHits > 0) checked.problem = `${run.unreadableHits} line(s) of ${RUN_FILES.hits} are no hit`;
  else if (run.hits.some((h) => h.frames.length > 0 && h.function !== h.frames[0]!.function))
    checked.problem = "a hit's function is not its frame 0's";
  else if (witness && run.hits.length) {
    const v = await witness.check(run.hits);
    if (v.problem) checked.problem = `not what vmlinux says: ${v.problem}`;
    else checked.verified = { hits: v.hits, frames: v.frames };
  } else if (run.hits.length && kernel.unverified) checked.problem = `hits not checked: ${kernel.unverified}`;
  if (!checked.problem && run.kind === 'scenario' && run.scenario && scenarios.has(run.scenario)) {
    const again = await rederiveVerdicts(dir, run.scenario, run.hits, run.context).catch((err: unknown) => {
      if (err instanceof LabError && err.code === 'RUN_DAMAGED') return { problem: err.message };
      throw err;
    });
    if ('problem' in again) checked.problem = again.problem;
    else {
      const claimed = new Map(run.verdicts.map((v) => [v.path, v]));
      const differs = again.verdicts.find(
        (v) => claimed.get(v.path)?.fired !== v.fired || claimed.get(v.path)?.ok !== v.ok,
      );
      const said = (fired?: boolean) => (fired ? 'fired' : 'stayed quiet');
      if (differs)
        checked.problem =
          `${RUN_FILES.verdicts} says ${differs.path} ${said(claimed.get(differs.path)?.fired)}; ` +
          `the run's own files say it ${said(differs.fired)}`;
      checked.verdicts = again.verdicts.map((v) => ({
        path: v.path,
        ok: v.ok,
        fired: v.fired,
        rows: v.rows.map((r) => ({ what: r.what, got: r.got, met: r.met })),
      }));
    }
  }
  return checked;
}

/**
 * Every exercise against the runs in runDirs: what lab check does for one
 * bundle, and what lab exercises does on the student's own .lab/runs.
 */
export async function judgeRunDirs(
  exercises: Exercise[],
  runDirs: string[],
  options: JudgeOptions = {},
): Promise<ExerciseResult[]> {
  const witness =
    options.witness ?? (options.vmlinux ? await KernelWitness.open(options.vmlinux, options.signal) : undefined);
  const scenarios = new Set(exercises.flatMap((e) => (e.scenario ? [e.scenario] : [])));
  try {
    const runs: RunEvidence[] = [];
    for (const dir of runDirs) {
      if (options.signal?.aborted) throw options.signal.reason;
      runs.push(
        await checkRun(await readRunEvidence(dir), dir, { witness, unverified: options.unverified }, scenarios),
      );
    }
    return judgeExercises(exercises, runs);
  } finally {
    if (witness && !options.witness) await witness.close();
  }
}
