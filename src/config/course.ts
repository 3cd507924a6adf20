import { existsSync } from 'node:fs';
import path from 'node:path';
import { readCheckedText } from '../util/checked-file.js';
import { LAB_FILE } from './lab-file.js';
import { projectRoot } from './paths.js';

/**
 * A course is a directory: lab.json, and beside it one text per exercise,
 * named for the exercise (seed-breakpoints.md), which says what to do and
 * why. lab init copies both; lab exercise NAME prints the text.
 */

/** The course lab init copies when given no --from: lab's compaction course. */
export function compactionCourse(): string {
  return path.join(projectRoot(), 'courses', 'compaction');
}

/** The file name of an exercise's text. */
export function exerciseTextName(exercise: string): string {
  return `${exercise}.md`;
}

/** Where an exercise's text is: beside the lab.json that lists it. */
export function exerciseTextFile(labFile: string, exercise: string): string {
  return path.join(path.dirname(labFile), exerciseTextName(exercise));
}

/** What lab reads of an exercise's text at most. */
export const EXERCISE_TEXT_BYTES = 256 * 1024;

/** The text of an exercise, or undefined when lab.json has none beside it (a file lab reads, checked). */
export async function readExerciseText(labFile: string, exercise: string): Promise<string | undefined> {
  const file = exerciseTextFile(labFile, exercise);
  if (!existsSync(file)) return undefined;
  return readCheckedText(file, {
    code: 'LAB_FILE_INVALID',
    maxBytes: EXERCISE_TEXT_BYTES,
    links: 'follow',
    what: `the text of the exercise ${exercise}`,
    hint: `make ${exerciseTextName(exercise)} a text file beside ${LAB_FILE}`,
  });
}
