import { RUN_FILES } from '../record/files.js';
import { existsSync } from 'node:fs';
import { runFile } from '../record/files.js';
import { FunctionCounter, parseTraceLine } from '../trace/ftrace-parse.js';
import type { TraceSummary } from '../trace/trace.js';
import { forEachLine } from '../util/bounded-lines.js';
import { readCheckedText } from '../util/checked-file.js';

const MiB = 1024 * 1024;
import { isCompactionCounter } from '../sample/parse.js';
import { snapshotFromFiles, splitTailOutput, type Snapshot } from '../sample/snapshot.js';
import { collectEvidence } from '../scenario/evidence.js';
import { loadScenario } from '../scenario/schema.js';
import { evaluate, type Verdict } from '../scenario/verdict.js';
import { isObject } from '../util/json-narrow.js';

/** A scenario run's verdicts as the teacher's lab derives them from the run's own files, or why it cannot. */
export type Rederived = { verdicts: Verdict[] } | { problem: string };

interface SampleLine {
  t: number;
  score: number;
  vmstat: Record<string, number>;
}

function sampleLines(text: string): SampleLine[] | string {
  const out: SampleLine[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      return `${RUN_FILES.samples} line ${i + 1} is not JSON`;
    }
    if (!isObject(v) || typeof v.t !== 'number' || typeof v.score !== 'number' || !isObject(v.vmstat))
      return `${RUN_FILES.samples} line ${i + 1} is no sample`;
    const vmstat = Object.fromEntries(
      Object.entries(v.vmstat).filter((e): e is [string, number] => typeof e[1] === 'number'),
    );
    out.push({ t: v.t, score: v.score, vmstat });
  }
  return out;
}

/**
 * Whether before.txt, samples.jsonl and after.txt tell one story (pure):
 * samples.jsonl begins with before.txt and ends with after.txt, and every
 * event counter compaction moves only grows along it.
 */
export function seriesProblem(before: Snapshot, samples: SampleLine[], after: Snapshot): string | undefined {
  if (samples.length < 2) return `${RUN_FILES.samples} has fewer than two samples (before and after)`;
  const counters = Object.keys(after.vmstat).filter((n) => isCompactionCounter(n) && !n.startsWith('nr_'));
  const ends: Array<[string, Record<string, number>, Record<string, number>]> = [
    [RUN_FILES.before, before.vmstat, samples[0]!.vmstat],
    [RUN_FILES.after, after.vmstat, samples.at(-1)!.vmstat],
  ];
  for (const [file, fromFile, fromSamples] of ends) {
    const differs = counters.find((n) => (fromFile[n] ?? 0) !== (fromSamples[n] ?? 0));
    if (differs)
      return `${file} has ${differs} ${fromFile[differs] ?? 0}, ${RUN_FILES.samples} ${fromSamples[differs] ?? 0}`;
  }
  if (Math.abs(before.score - samples[0]!.score) > 1e-9 || Math.abs(after.score - samples.at(-1)!.score) > 1e-9)
    return `the scores of ${RUN_FILES.before} and ${RUN_FILES.after} are not the ends of ${RUN_FILES.samples}`;
  for (let i = 1; i < samples.length; i++) {
    const fell = counters.find((n) => (samples[i]!.vmstat[n] ?? 0) < (samples[i - 1]!.vmstat[n] ?? 0));
    if (fell) return `${fell} falls in ${RUN_FILES.samples} (line ${i + 1}): a counter the kernel only adds to`;
    if (samples[i]!.t < samples[i - 1]!.t) return `${RUN_FILES.samples} goes back in time at line ${i + 1}`;
  }
  return undefined;
}

/** What lab check reads of a scenario run's raw files, at most (a trace is read line by line). */
export const SCENARIO_FILE_BYTES = { before: 4 * MiB, after: 4 * MiB, samples: 16 * MiB, trace: 256 * MiB } as const;

async function readBounded(dir: string, key: 'before' | 'after' | 'samples'): Promise<string | undefined> {
  const file = runFile(dir, key);
  if (!existsSync(file)) return undefined;
  return readCheckedText(file, { code: 'RUN_DAMAGED', maxBytes: SCENARIO_FILE_BYTES[key] });
}

/** The events and calls of a trace, read a line at a time: what a verdict counts, in bounded memory. */
async function traceCounts(file: string): Promise<TraceSummary> {
  const events: Record<string, number> = {};
  const calls = new FunctionCounter();
  let lines = 0;
  let records = 0;
  const read = { code: 'RUN_DAMAGED', maxBytes: SCENARIO_FILE_BYTES.trace } as const;
  await forEachLine(file, read, 64 * 1024, (line) => {
    lines++;
    const r = parseTraceLine(line);
    if (!r) return;
    records++;
    if (r.kind === 'event') events[r.event] = (events[r.event] ?? 0) + 1;
    else calls.add(r);
  });
  return { lines, records, functions: calls.result(), events, timeline: [] };
}

/**
 * The run's verdicts again, from its raw files and the teacher's own
 * scenario: vmstat deltas from before.txt and after.txt, the score from
 * samples.jsonl, events and calls from trace.txt, hits from hits.jsonl.
 * verdicts.json, which the student could write by hand, is not read.
 */
export async function rederiveVerdicts(
  runDir: string,
  scenarioName: string,
  hits: Array<{ function: string | null }>,
  claimed: { proactiveness?: number; thpDefrag?: string },
): Promise<Rederived> {
  const scenario = loadScenario(scenarioName);
  const [beforeText, afterText, samplesText] = await Promise.all(
    (['before', 'after', 'samples'] as const).map((k) => readBounded(runDir, k)),
  );
  if (!beforeText || !afterText)
    return { problem: `no ${RUN_FILES.before} or ${RUN_FILES.after}: the verdicts have no evidence` };
  const before = snapshotFromFiles(splitTailOutput(beforeText), 0);
  const after = snapshotFromFiles(splitTailOutput(afterText), 0);
  const samples = sampleLines(samplesText ?? '');
  if (typeof samples === 'string') return { problem: samples };
  const problem = seriesProblem(before, samples, after);
  if (problem) return { problem };
  const trace = existsSync(runFile(runDir, 'trace')) ? await traceCounts(runFile(runDir, 'trace')) : undefined;
  if (scenario.trace && !trace) return { problem: `the scenario traces, and the run has no ${RUN_FILES.trace}` };
  const inner = samples.slice(1, -1).map((s) => ({ ...s, buddyinfo: [] }));
  const evidence = collectEvidence(scenario, {
    before,
    after,
    samples: inner,
    trace,
    hits,
    ...claimed,
  });
  return { verdicts: scenario.expect.map((e) => evaluate(e, evidence)) };
}
