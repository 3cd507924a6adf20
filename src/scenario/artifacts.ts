import { writeRunFile, writeSamples, writeSteps, writeVerdicts } from '../record/write.js';
import type { RunContents } from '../record/run-contents.js';
import { scenarioChart } from '../report/chart.js';
import type { Snapshot } from '../sample/snapshot.js';
import type { BackgroundOutput } from './background.js';
import { renderVerdicts, type Evidence, type Verdict } from './verdict.js';

/** A step's start, in seconds on the samples' clock, and what it did. */
export interface StepMark {
  t: number;
  label: string;
}

/** A snapshot as samples.jsonl keeps it (pure). */
export function sampleOf(s: Snapshot) {
  return { t: s.t, score: s.score, vmstat: s.vmstat, buddyinfo: s.buddyinfo };
}

/**
 * Writes what a scenario run leaves in its directory: samples, chart,
 * verdicts, background output, steps. Returns what of it the exports and
 * the report draw from, so nothing is read back.
 */
export async function writeScenarioArtifacts(
  runDir: string,
  run: {
    name: string;
    series: Snapshot[];
    verdicts: Verdict[];
    evidence: Evidence;
    background: BackgroundOutput[];
    steps?: StepMark[];
  },
): Promise<Pick<RunContents, 'samples' | 'verdicts' | 'steps'>> {
  const { series, verdicts, evidence } = run;
  const samples = series.map(sampleOf);
  await writeSamples(runDir, samples);
  await writeRunFile(runDir, 'chart', scenarioChart(`lab run ${run.name}`, series));
  const moved = Object.fromEntries(Object.entries(evidence.counters).filter(([, v]) => v !== 0));
  const verdictsFile = { scenario: run.name, verdicts, evidence: { ...evidence, counters: moved } };
  await writeVerdicts(runDir, verdictsFile);
  await writeRunFile(runDir, 'background', run.background.map((b) => `$ ${b.argv.join(' ')}\n${b.output}`).join('\n'));
  const jobs = run.background.map(({ argv, out }) => ({ argv, out }));
  await writeRunFile(runDir, 'backgroundJobs', JSON.stringify(jobs, null, 2));
  await writeRunFile(runDir, 'verdictTable', renderVerdicts(verdicts) + '\n');
  // when each step began, on the samples' clock: the report marks them on its charts
  const steps = run.steps ?? [];
  await writeSteps(runDir, steps);
  return { samples, verdicts: verdictsFile, steps };
}
