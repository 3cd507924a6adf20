import path from 'node:path';

/**
 * Every file of a run directory lab writes or reads, by what it holds. Only
 * record/ spells these names (a test holds it): the rest of lab says
 * RUN_FILES.hits, so a rename is one line and a reader never guesses.
 */
export const RUN_FILES = {
  manifest: 'manifest.json',
  hits: 'hits.jsonl',
  backtraces: 'backtraces.txt',
  snapshots: 'snapshots.jsonl',
  gdbLog: 'gdb.log',
  recorderConfig: 'recorder.json',
  recorderStop: 'recorder.stop',
  sites: 'sites.json',
  engine: 'engine.json',
  engineTrace: 'engine-trace.txt.gz',
  trace: 'trace.txt',
  traceSummary: 'trace-summary.json',
  commandOutput: 'command.out',
  samples: 'samples.jsonl',
  verdicts: 'verdicts.json',
  verdictTable: 'report.txt',
  chart: 'report.svg',
  steps: 'steps.json',
  before: 'before.txt',
  after: 'after.txt',
  background: 'background.txt',
  backgroundJobs: 'background.json',
  hitsFolded: 'hits.folded',
  traceFolded: 'trace.folded',
  traceEvents: 'trace.json',
  report: 'report.html',
  core: 'vmcore.kdump',
  buddy: 'buddy.json',
} as const;

export type RunFileKey = keyof typeof RUN_FILES;

/** A run file's path in a run directory. */
export function runFile(dir: string, key: RunFileKey): string {
  return path.join(dir, RUN_FILES[key]);
}

/** What a guest command step printed: step-N.out. */
export function stepOutputFile(dir: string, step: number): string {
  return path.join(dir, `step-${step}.out`);
}
