/** lab exercises and lab exercise NAME: a course followed alone, judged on this machine's own runs. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isRunDir, runDirs } from '../bundle/evidence.js';
import type { ExerciseResult } from '../bundle/exercises.js';
import { judgeRunDirs } from '../bundle/judge-runs.js';
import { exerciseTextFile, readExerciseText } from '../config/course.js';
import { findLabFile, LAB_FILE, readLabFile, type Exercise, type LabFile } from '../config/lab-file.js';
import { LabError } from '../errors.js';
import { shellQuote } from '../util/shell-quote.js';
import { readBuildRecordIfAny } from './build-record.js';
import type { LabContext } from './context.js';
import { DEMO_BREAKPOINTS } from './demo-breakpoints.js';

export interface ExerciseState {
  /** done: a run passes it; not done: a run tries it and misses; no run yet: no run tries it. */
  state: 'done' | 'not done' | 'no run yet';
  /** The run judged: the one that passes, or the closest miss. */
  run?: string;
  /** What lab check would say: what the run shows, or what is missing. */
  evidence: string;
}

export interface ExerciseRow extends ExerciseState {
  name: string;
  about: string;
  kind: 'debug' | 'scenario';
}

export interface ExercisesView {
  lab: string;
  runsDir: string;
  /** How many runs were judged. */
  runs: number;
  /** The built kernel the hits were checked against, when there is a build. */
  vmlinux: string | null;
  exercises: ExerciseRow[];
}

export interface ExerciseView {
  name: string;
  about: string;
  /** The exercise's text (NAME.md beside lab.json), null when there is none. */
  text: string | null;
  textFile: string;
  state: ExerciseState;
  /** The command line that does the exercise. */
  command: string;
  /** What else does it, or what it needs. */
  notes: string[];
}

/** lab.json beside (or --lab): the course is what it lists. */
function courseLab(lab: string | undefined): LabFile {
  const file = findLabFile(lab);
  if (!file)
    throw new LabError('NO_LAB_FILE', `there is no ${path.join(process.cwd(), LAB_FILE)} listing the exercises`, {
      hint: 'run lab init (the compaction course) or lab init --from COURSE_DIR here, or pass --lab FILE',
    });
  return readLabFile(file);
}

/** Every exercise judged on the lab directory's runs, as lab check judges a hand-in. */
async function judge(
  ctx: LabContext,
  exercises: Exercise[],
): Promise<{ results: ExerciseResult[]; runs: number; vmlinux: string | null }> {
  const dirs = (await runDirs(ctx.paths.runs)).filter(isRunDir);
  const built = (await readBuildRecordIfAny(ctx.paths))?.kernel.vmlinux;
  const vmlinux = built !== undefined && existsSync(built) ? built : undefined;
  const results = await judgeRunDirs(exercises, dirs, { vmlinux, signal: ctx.signal });
  return { results, runs: dirs.length, vmlinux: vmlinux ?? null };
}

/** A judge's result as the state of the exercise here (pure). */
export function stateOf(r: ExerciseResult): ExerciseState {
  const state = r.pass ? 'done' : r.run === undefined ? 'no run yet' : 'not done';
  return { state, ...(r.run !== undefined ? { run: r.run } : {}), evidence: r.evidence };
}

/** lab exercises: every exercise of lab.json and its state from this lab's runs. */
export async function listExercises(ctx: LabContext, flags: { lab?: string }): Promise<ExercisesView> {
  const labFile = courseLab(flags.lab);
  const exercises = labFile.data.exercises;
  const { results, runs, vmlinux } = await judge(ctx, exercises);
  return {
    lab: labFile.file,
    runsDir: ctx.paths.runs,
    runs,
    vmlinux,
    exercises: exercises.map((ex, i) => ({
      name: ex.name,
      about: ex.about,
      kind: ex.debug ? 'debug' : 'scenario',
      ...stateOf(results[i]!),
    })),
  };
}

/** The command line that does an exercise, quoted for a shell (pure). */
export function exerciseCommand(ex: Exercise): string {
  if (!ex.debug) return ['lab', 'run', ex.scenario!].map(shellQuote).join(' ');
  const d = ex.debug;
  const words = ['lab', 'debug', ...d.break.flatMap((b) => ['--break', b])];
  words.push(...d.capture.flatMap((c) => ['--capture', c]));
  if (d.trigger !== undefined) words.push('--trigger', d.trigger);
  words.push('--count', String(d.count));
  return words.map(shellQuote).join(' ');
}

/** The exercise asks for what lab demo records: the demo's breakpoints, nothing captured. */
function isDemos(d: NonNullable<Exercise['debug']>): boolean {
  const breaks = new Set(d.break.map((b) => b.trim()));
  return (
    d.capture.length === 0 && breaks.size === DEMO_BREAKPOINTS.length && DEMO_BREAKPOINTS.every((b) => breaks.has(b))
  );
}

/** What else does an exercise, and what it needs (pure). */
export function exerciseNotes(ex: Exercise): string[] {
  if (!ex.debug) return [`on a VM that is up (lab up); lab run --list describes the ${ex.scenario} scenario`];
  const notes = [`on a VM that is up (lab up); lab debug --exercise ${ex.name} runs the same`];
  if (isDemos(ex.debug))
    notes.push('lab demo records it too: it builds, boots, and sets these breakpoints around a manual compaction');
  return notes;
}

/** lab exercise NAME: its text, its state here, and the command that does it. */
export async function showExercise(ctx: LabContext, flags: { name: string; lab?: string }): Promise<ExerciseView> {
  const labFile = courseLab(flags.lab);
  const ex = labFile.data.exercises.find((e) => e.name === flags.name);
  if (!ex) {
    const names = labFile.data.exercises.map((e) => e.name);
    throw new LabError('EXERCISE_UNKNOWN', `${labFile.file} has no exercise "${flags.name}"`, {
      hint: `choose one of ${names.join(', ') || '(none: lab.json lists no exercise)'}`,
    });
  }
  const { results } = await judge(ctx, [ex]);
  return {
    name: ex.name,
    about: ex.about,
    text: (await readExerciseText(labFile.file, ex.name)) ?? null,
    textFile: exerciseTextFile(labFile.file, ex.name),
    state: stateOf(results[0]!),
    command: exerciseCommand(ex),
    notes: exerciseNotes(ex),
  };
}
