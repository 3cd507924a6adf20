import type { Exercise } from '../config/lab-file.js';
import type { RecordedHit } from './frame-check.js';

/** What lab check reads of one run in a bundle. */
export interface RunEvidence {
  id: string;
  kind: string;
  /** Debug runs: the breakpoints asked for; scenario runs: the scenario's name. */
  breakpoints: string[];
  scenario?: string;
  hits: Array<RecordedHit & { function: string | null }>;
  /** Lines of hits.jsonl that are no hit. */
  unreadableHits: number;
  verdicts: Array<{
    path: string;
    ok: boolean;
    fired: boolean;
    rows: Array<{ what: string; got: string; met: boolean }>;
  }>;
  /** What the verdicts were judged in, as verdicts.json records it (it changes only the "why"). */
  context: { proactiveness?: number; thpDefrag?: string };
  /** Why the run is not what the class's kernel and its own files say, once checked. */
  problem?: string;
  /** What was checked against vmlinux, once it was. */
  verified?: { hits: number; frames: number };
}

export interface ExerciseResult {
  exercise: string;
  pass: boolean;
  run?: string;
  evidence: string;
}

/** A breakpoint spec's function: "compact_zone if cc->order > 0" -> compact_zone. */
function functionOf(spec: string): string {
  return spec.trim().split(/[\s:]/)[0]!;
}

function countBy(items: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return m;
}

function judgeDebug(ex: Exercise & { debug: NonNullable<Exercise['debug']> }, runs: RunEvidence[]): ExerciseResult {
  const wanted = ex.debug.break.map(functionOf);
  const candidates = runs.filter(
    (r) => r.kind === 'debug' && wanted.every((w) => r.breakpoints.map(functionOf).includes(w)),
  );
  if (candidates.length === 0) {
    return { exercise: ex.name, pass: false, evidence: `no debug run with the breakpoints ${wanted.join(', ')}` };
  }
  let best: { run: RunEvidence; missing: string[]; hitCounts: Map<string, number> } | undefined;
  for (const run of candidates) {
    const hitCounts = countBy(run.hits.map((h) => h.breakpoint));
    const frames = new Set(run.hits.flatMap((h) => h.frames.map((f) => f.function)));
    const missing = [
      ...(run.problem ? [run.problem] : []),
      ...ex.expect.hits.filter((f) => !hitCounts.has(f)).map((f) => `no hit in ${f}`),
      ...ex.expect.frames.filter((f) => !frames.has(f)).map((f) => `${f} in no frame`),
    ];
    if (!best || missing.length < best.missing.length) best = { run, missing, hitCounts };
    if (missing.length === 0) break;
  }
  const { run, missing, hitCounts } = best!;
  const counts = [...hitCounts].map(([f, n]) => `${f} ${n}`).join(', ') || 'no hits';
  if (missing.length)
    return { exercise: ex.name, pass: false, run: run.id, evidence: `${missing.join('; ')} (hits: ${counts})` };
  const frames = ex.expect.frames.length ? `; frames have ${ex.expect.frames.join(', ')}` : '';
  return { exercise: ex.name, pass: true, run: run.id, evidence: `hits: ${counts}${frames}${verifiedNote(run)}` };
}

function judgeScenario(ex: Exercise & { scenario: string }, runs: RunEvidence[]): ExerciseResult {
  const candidates = runs.filter((r) => r.kind === 'scenario' && r.scenario === ex.scenario);
  if (candidates.length === 0)
    return { exercise: ex.name, pass: false, evidence: `no run of the ${ex.scenario} scenario` };
  const describe = (r: RunEvidence) =>
    r.verdicts
      .map(
        (v) =>
          `${v.path} ${v.fired ? 'fired' : 'quiet'}${v.ok ? '' : ' (not as expected)'}: ` +
          `${v.rows.map((row) => `${row.what} ${row.got}`).join(', ')}`,
      )
      .join('; ');
  const ok = (r: RunEvidence) => !r.problem && r.verdicts.length > 0 && r.verdicts.every((v) => v.ok);
  const passing = ex.expect.verdicts === 'ok' ? candidates.find(ok) : candidates[0];
  if (passing)
    return { exercise: ex.name, pass: true, run: passing.id, evidence: describe(passing) + verifiedNote(passing) };
  const last = candidates[candidates.length - 1]!;
  const evidence = last.problem ?? (describe(last) || 'the run has no verdicts');
  return { exercise: ex.name, pass: false, run: last.id, evidence };
}

function verifiedNote(run: RunEvidence): string {
  return run.verified ? `; ${run.verified.frames} frames of ${run.verified.hits} hits as vmlinux has them` : '';
}

/** Every exercise of a lab against the runs of one hand-in (pure). */
export function judgeExercises(exercises: Exercise[], runs: RunEvidence[]): ExerciseResult[] {
  return exercises.map((ex) => {
    if (ex.debug) return judgeDebug({ ...ex, debug: ex.debug }, runs);
    return judgeScenario({ ...ex, scenario: ex.scenario! }, runs);
  });
}
