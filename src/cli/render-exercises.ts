import type { InitResult } from '../lab/init.js';
import type { ExercisesView, ExerciseState, ExerciseView } from '../lab/exercises.js';
import { table } from './render-course.js';

/** A terminal control: C0 but tab and newline, DEL, C1, and the marks that reorder text (bidi). */
function isControl(code: number): boolean {
  if (code === 0x09 || code === 0x0a) return false;
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/**
 * Text from someone else's file made safe for a terminal: every control
 * character but newline and tab (and a carriage return ending a line) is
 * shown escaped, \x1b or \u202e, so a course cannot move the cursor,
 * recolour the screen or reorder what it shows.
 */
export function printable(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const crlf = code === 0x0d && text.charCodeAt(i + 1) === 0x0a;
    if (!isControl(code) || crlf) out += text[i];
    else out += code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return out;
}

/** "done, run ID: evidence" (pure). */
function stateLine(s: ExerciseState): string {
  return printable(`${s.state}${s.run ? `, run ${s.run}` : ''}: ${s.evidence}`);
}

export function renderExercises(v: ExercisesView): string {
  const rows = v.exercises.map((x) => [x.name, x.state, x.run ?? '-', printable(x.evidence)]);
  const done = v.exercises.filter((x) => x.state === 'done').length;
  const checked = v.vmlinux ? `; hits checked against ${v.vmlinux}` : '';
  return [
    table(['exercise', 'state', 'run', 'evidence'], rows),
    '',
    `${done} of ${v.exercises.length} done, judged as lab check judges, on ${v.runs} run(s) in ${v.runsDir}${checked}`,
    'lab exercise NAME: what to do, and the command that does it',
  ].join('\n');
}

export function renderExercise(v: ExerciseView): string {
  const text =
    v.text === null
      ? `no text for this exercise: write ${v.name}.md beside lab.json (${v.textFile})`
      : printable(v.text).trimEnd();
  return [
    v.about ? `${v.name}: ${printable(v.about)}` : v.name,
    '',
    text,
    '',
    `state: ${stateLine(v.state)}`,
    `do it: ${printable(v.command)}`,
    ...v.notes.map((n) => `  ${printable(n)}`),
  ].join('\n');
}

export function renderInit(r: InitResult): string {
  const texts = r.texts.length ? ` and ${r.texts.length} exercise text(s)` : '';
  return [
    printable(`wrote ${r.file}${texts} from ${r.from}: profile ${r.profile}, exercises ${r.exercises.join(', ')}`),
    ...r.untexted.map((u) => `no text for ${u.exercise}: ${printable(u.why)}`),
    'next: lab exercises (what to do, and what is done); a teacher runs lab lock (writes lab.lock) and commits both',
  ].join('\n');
}
