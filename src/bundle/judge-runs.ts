import type { Exercise } from '../config/lab-file.js';
import { readRunEvidence } from './evidence.js';
import { judgeExercises, type ExerciseResult } from './exercises.js';

export interface JudgeOptions {
  /** The kernel the runs claim: every recorded pc is checked against it when given. */
  vmlinux?: string;
  signal?: AbortSignal;
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
  if (options.signal?.aborted) throw options.signal.reason;
  const evidence = await Promise.all(runDirs.map((dir) => readRunEvidence(dir)));
  return judgeExercises(exercises, evidence);
}
