import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { scenarioChart } from '../report/chart.js';
import type { Snapshot } from '../sample/snapshot.js';
import type { BackgroundOutput } from './background.js';

/** A step's start, in seconds on the samples' clock, and what it did. */
export interface StepMark {
  t: number;
  label: string;
}
import { renderVerdicts, type Evidence, type Verdict } from './verdict.js';

/** Writes what a scenario run leaves in its directory: samples, chart, verdicts, background output, report. */
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
): Promise<void> {
  const { series, verdicts, evidence } = run;
  await writeFile(
    path.join(runDir, 'samples.jsonl'),
    series.map((s) => JSON.stringify({ t: s.t, score: s.score, vmstat: s.vmstat, buddyinfo: s.buddyinfo })).join('\n') +
      '\n',
  );
  await writeFile(path.join(runDir, 'report.svg'), scenarioChart(`lab run ${run.name}`, series));
  const moved = Object.fromEntries(Object.entries(evidence.counters).filter(([, v]) => v !== 0));
  await writeFile(
    path.join(runDir, 'verdicts.json'),
    JSON.stringify({ scenario: run.name, verdicts, evidence: { ...evidence, counters: moved } }, null, 2),
  );
  await writeFile(
    path.join(runDir, 'background.txt'),
    run.background.map((b) => `$ ${b.argv.join(' ')}\n${b.output}`).join('\n'),
  );
  await writeFile(
    path.join(runDir, 'background.json'),
    JSON.stringify(
      run.background.map(({ argv, out }) => ({ argv, out })),
      null,
      2,
    ),
  );
  await writeFile(path.join(runDir, 'report.txt'), renderVerdicts(verdicts) + '\n');
  // when each step began, on the samples' clock: the report marks them on its charts
  await writeFile(path.join(runDir, 'steps.json'), JSON.stringify(run.steps ?? [], null, 2) + '\n');
}
