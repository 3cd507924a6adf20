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

/**
 * Hits by breakpoint, for the evidence and the expected hits: the first
 * `first` breakpoints hit and the expected ones counted, hits in any other
 * only summed (others). A run may hit a million breakpoints: a row shows a
 * few, and judging it holds no more than this.
 */
function countHits(hits: RunEvidence['hits'], expected: string[], first = 20) {
  const hitCounts = new Map<string, number>();
  let others = 0;
  for (const { breakpoint } of hits) {
    const n = hitCounts.get(breakpoint);
    if (n !== undefined) hitCounts.set(breakpoint, n + 1);
    else if (hitCounts.size < first || expected.includes(breakpoint)) hitCounts.set(breakpoint, 1);
    else others++;
  }
  return { hitCounts, others };
}

function countsText({ hitCounts, others }: ReturnType<typeof countHits>): string {
  const shown = [...hitCounts].map(([f, n]) => `${f} ${n}`).join(', ');
  return others ? `${shown}, and ${others} more in other breakpoints` : shown;
}

/** The expected frames some hit has. */
function framesSeen(hits: RunEvidence['hits'], expected: string[]): Set<string> {
  const seen = new Set<string>();
  for (const h of hits) for (const f of h.frames) if (f.function && expected.includes(f.function)) seen.add(f.function);
  return seen;
}

function judgeDebug(ex: Exercise & { debug: NonNullable<Exercise['debug']> }, runs: RunEvidence[]): ExerciseResult {
  const wanted = ex.debug.break.map(functionOf);
  const candidates = runs.filter(
    (r) => r.kind === 'debug' && wanted.every((w) => r.breakpoints.map(functionOf).includes(w)),
  );
  if (candidates.length === 0) {
    return { exercise: ex.name, pass: false, evidence: `no debug run with the breakpoints ${wanted.join(', ')}` };
  }
  let best: { run: RunEvidence; missing: string[]; counted: ReturnType<typeof countHits> } | undefined;
  for (const run of candidates) {
    const counted = countHits(run.hits, ex.expect.hits);
    const frames = framesSeen(run.hits, ex.expect.frames);
    const missing = [
      ...(run.problem ? [run.problem] : []),
      ...ex.expect.hits.filter((f) => !counted.hitCounts.has(f)).map((f) => `no hit in ${f}`),
      ...ex.expect.frames.filter((f) => !frames.has(f)).map((f) => `${f} in no frame`),
    ];
    if (!best || missing.length < best.missing.length) best = { run, missing, counted };
    if (missing.length === 0) break;
  }
  const { run, missing, counted } = best!;
  const counts = countsText(counted) || 'no hits';
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
