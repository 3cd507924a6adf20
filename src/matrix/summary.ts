import { spread } from '../compare/compare.js';
import type { JobResult, UnpinnedJob } from './job.js';
import { mebibytes } from './spec.js';

export interface CellSummary {
  cell: string;
  kernel: string;
  scenario: string;
  runs: number;
  done: number;
  /** Runs in which every verdict of the scenario held. */
  ok: number;
  failed: string[];
  missing: string[];
  /** Each compaction path the scenario judges: fired in k of the done runs. */
  verdicts: Array<{ path: string; fired: number; of: number }>;
  seconds?: { median: number; min: number; max: number };
}

export interface MatrixSummary {
  matrix: string;
  jobs: number;
  done: number;
  failed: number;
  missing: number;
  cells: CellSummary[];
  /** Every job that did not finish, by name, with why. */
  problems: Array<{ id: string; status: 'failed' | 'missing'; error?: string }>;
  /** Per scenario, the first kernel's runs against each other kernel's (lab compare), written by the gather step. */
  comparisons?: Array<{ scenario: string; a: string; b: string; page: string; verdictsDiffer: string[] }>;
}

/** lab compare's median and range, to a tenth of a second. */
function secondsSpread(xs: number[]): CellSummary['seconds'] {
  if (xs.length === 0) return undefined;
  const { median, min, max } = spread(xs);
  return { median: +median.toFixed(1), min: +min.toFixed(1), max: +max.toFixed(1) };
}

/**
 * The matrix's outcome from the jobs it expanded into and the results found
 * (pure): the same table whether the jobs ran here or as Slurm array tasks.
 * A job with no result is missing (cancelled, never started, its node lost).
 */
export function summarizeMatrix(matrix: string, jobs: UnpinnedJob[], results: Map<string, JobResult>): MatrixSummary {
  const cells = new Map<string, CellSummary>();
  const problems: MatrixSummary['problems'] = [];
  const seconds = new Map<string, number[]>();
  for (const job of jobs) {
    const cell = cells.get(job.cell) ?? {
      cell: job.cell,
      kernel: job.kernel,
      scenario: job.scenario,
      runs: 0,
      done: 0,
      ok: 0,
      failed: [],
      missing: [],
      verdicts: [],
    };
    cells.set(job.cell, cell);
    cell.runs++;
    const r = results.get(job.id);
    if (!r) {
      cell.missing.push(job.id);
      problems.push({ id: job.id, status: 'missing' });
      continue;
    }
    if (r.status !== 'done') {
      cell.failed.push(job.id);
      problems.push({ id: job.id, status: 'failed', ...(r.error ? { error: r.error } : {}) });
      continue;
    }
    cell.done++;
    if (r.ok) cell.ok++;
    seconds.set(job.cell, [...(seconds.get(job.cell) ?? []), r.seconds]);
    for (const v of r.verdicts) {
      const row =
        cell.verdicts.find((x) => x.path === v.path) ??
        cell.verdicts[cell.verdicts.push({ path: v.path, fired: 0, of: 0 }) - 1]!;
      row.of++;
      if (v.fired) row.fired++;
    }
  }
  for (const cell of cells.values()) {
    cell.verdicts.sort((a, b) => (a.path < b.path ? -1 : 1));
    const s = secondsSpread(seconds.get(cell.cell) ?? []);
    if (s) cell.seconds = s;
  }
  const all = [...cells.values()];
  return {
    matrix,
    jobs: jobs.length,
    done: all.reduce((n, c) => n + c.done, 0),
    failed: all.reduce((n, c) => n + c.failed.length, 0),
    missing: all.reduce((n, c) => n + c.missing.length, 0),
    cells: all,
    problems,
  };
}

/**
 * How many jobs run side by side by default (pure): one per host core, and
 * no more VMs than three quarters of memory holds with 512 MiB for QEMU's
 * own needs each; at least one.
 */
export function defaultJobs(host: { cores: number; memoryBytes: number }, guestMemory: string): number {
  const guest = mebibytes(guestMemory) * 2 ** 20;
  const byMemory = Math.floor((host.memoryBytes * 0.75) / (guest + 512 * 2 ** 20));
  return Math.max(1, Math.min(host.cores, byMemory));
}
