import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { labMain, labPaths } from '../config/paths.js';
import { LabError } from '../errors.js';
import { expandMatrix, type Job, type KernelPins, type UnpinnedJob } from '../matrix/job.js';
import { pinJob } from '../matrix/pin.js';
import { fragmentFile, loadMatrixSpec, type MatrixSpec } from '../matrix/spec.js';
import { defaultJobs, summarizeMatrix, type MatrixSummary } from '../matrix/summary.js';
import { execute } from '../process/runner.js';
import { stopVm } from '../vm/stop.js';
import { readRunFigures } from '../compare/read.js';
import { compareWithKernels } from './compare.js';
import { buildLab } from './build.js';
import { writeCompareReport } from './report.js';
import type { LabContext } from './context.js';
import { JOB_RESULT, readJobFile, type JobResult } from './job.js';
import { writeFileAtomically } from '../util/atomic-write.js';
import { readCheckedJson } from '../util/checked-record.js';
import { MatrixPlanSchema, type MatrixPlan } from '../matrix/records.js';
import { readJobResult } from './job-result.js';

/** Where a matrix keeps its parts: the same layout here and on a cluster's shared filesystem. */
export function matrixLayout(out: string) {
  return {
    plan: path.join(out, 'matrix.json'),
    jobFile: (id: string) => path.join(out, 'jobs', `${id}.json`),
    /** Each job's own lab directory: its build record, VM, runs and job.json. */
    labDir: (id: string) => path.join(out, 'labs', id),
    log: (id: string) => path.join(out, 'logs', `${id}.log`),
    kernelLab: (name: string) => path.join(out, 'kernels', name),
    summary: path.join(out, 'summary.json'),
  };
}

export type { MatrixPlan };

async function writeJson(file: string, data: unknown): Promise<void> {
  await writeFileAtomically(file, JSON.stringify(data, null, 2) + '\n');
}

/** The spec expanded (pure but for the files it checks): what --slurm needs before anything is built. */
export function expandSpec(
  specFile: string,
  overrides: { sameStart?: boolean } = {},
): {
  spec: MatrixSpec;
  kernels: ReturnType<typeof expandMatrix>['kernels'];
  jobs: UnpinnedJob[];
} {
  const spec = loadMatrixSpec(specFile, overrides);
  const { kernels, jobs } = expandMatrix(spec, {
    fragment: (f) => fragmentFile(f, specFile),
    lab: (f) => {
      const file = path.resolve(path.dirname(specFile), f);
      if (!existsSync(file)) throw new LabError('LAB_FILE_MISSING', `${f} (named in ${specFile}) does not exist`);
      return file;
    },
  });
  return { spec, kernels, jobs };
}

/**
 * The matrix's build step: each distinct kernel built once (in a lab
 * directory of its own under OUT/kernels), then one job file per cell and
 * repeat, each pinned to what its kernel's build made.
 */
export async function prepareMatrix(
  ctx: LabContext,
  specFile: string,
  out: string,
  overrides: { sameStart?: boolean } = {},
): Promise<MatrixPlan & { jobFiles: Job[] }> {
  const { spec, kernels, jobs } = expandSpec(specFile, overrides);
  const layout = matrixLayout(out);
  const built: MatrixPlan['kernels'] = [];
  const pins = new Map<string, KernelPins>();
  for (const k of kernels) {
    ctx.progress.notice(`lab: matrix ${spec.name}: kernel ${k.name}`);
    const record = await buildLab({ ...ctx, paths: labPaths(layout.kernelLab(k.name)) }, { ...k.build });
    pins.set(k.name, { kernelKey: record.kernel.key, rootfsKey: record.rootfs.key, qemu: record.qemu.version });
    built.push({ name: k.name, key: record.kernel.key, cached: record.kernel.cached, seconds: record.seconds });
  }
  const pinned: Job[] = [];
  for (const job of jobs) {
    const p = await pinJob(job, pins.get(job.kernel)!);
    await writeJson(layout.jobFile(job.id), p);
    pinned.push(p);
  }
  const plan: MatrixPlan = {
    matrix: spec.name,
    spec: path.resolve(specFile),
    jobs: jobs.map((j) => j.id),
    kernels: built,
  };
  await writeJson(layout.plan, plan);
  return { ...plan, jobFiles: pinned };
}

export async function readPlan(out: string): Promise<{ plan: MatrixPlan; jobs: Job[] }> {
  const layout = matrixLayout(out);
  if (!existsSync(layout.plan))
    throw new LabError('MATRIX_NOT_PREPARED', `${out} holds no prepared matrix (no matrix.json)`);
  const plan = await readCheckedJson(layout.plan, MatrixPlanSchema, {
    code: 'MATRIX_NOT_PREPARED',
    hint: 'prepare it again: lab matrix SPEC',
  });
  const jobs = await Promise.all(plan.jobs.map((id) => readJobFile(layout.jobFile(id))));
  return { plan, jobs };
}

export interface JobEvent {
  id: string;
  status: 'started' | 'done' | 'failed' | 'interrupted';
  seconds?: number;
  result?: JobResult;
  exitCode?: number;
}

/**
 * Runs the prepared jobs here, `jobs` at a time, each as its own `lab run
 * --spec` process with its own VM and lab directory. A failed job is
 * reported and the others go on; on Ctrl-C every job is stopped and no VM
 * is left.
 */
export async function runMatrixHere(
  ctx: LabContext,
  out: string,
  options: { jobs?: number; onJob?: (e: JobEvent) => void },
): Promise<{ summary: MatrixSummary; seconds: number; jobs: number }> {
  const { jobs } = await readPlan(out);
  const layout = matrixLayout(out);
  const parallel =
    options.jobs ??
    defaultJobs({ cores: os.availableParallelism(), memoryBytes: os.totalmem() }, jobs[0]?.vm.memory ?? '2G');
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64)
    throw new LabError('BAD_JOBS', `--jobs ${options.jobs} is not a number of jobs`, { hint: 'give 1 to 64' });
  const started = Date.now();
  const queue = [...jobs];
  const runOne = async (job: Job) => {
    const t0 = Date.now();
    options.onJob?.({ id: job.id, status: 'started' });
    await mkdir(path.dirname(layout.log(job.id)), { recursive: true });
    // an earlier run's result must not stand for this one
    await rm(path.join(layout.labDir(job.id), JOB_RESULT), { force: true });
    const r = await execute(
      {
        program: { path: process.execPath },
        args: [labMain(), 'run', '--spec', layout.jobFile(job.id), '--lab-dir', layout.labDir(job.id), '--json'],
        what: `matrix job ${job.id}`,
      },
      { logFile: layout.log(job.id), signal: ctx.signal, timeoutMs: job.timeout * 1000, killAfterMs: 30_000 },
    ).catch((err: unknown) => {
      // Ctrl-C: the job was stopped (its lab cleans up on SIGTERM); the others are told the same
      if (err instanceof LabError && err.code === 'INTERRUPTED') return { exitCode: 130 };
      throw err;
    });
    const result = await readJobResult(layout.labDir(job.id), job);
    const seconds = (Date.now() - t0) / 1000;
    const status = ctx.signal?.aborted
      ? 'interrupted'
      : result?.status === 'done' && result.id === job.id
        ? 'done'
        : 'failed';
    options.onJob?.({ id: job.id, status, seconds, result, exitCode: r.exitCode });
  };
  const workers = Array.from({ length: Math.min(parallel, jobs.length) }, async () => {
    for (let job = queue.shift(); job && !ctx.signal?.aborted; job = queue.shift()) await runOne(job);
  });
  try {
    await Promise.all(workers);
  } finally {
    // a job killed after its grace leaves its VM: no VM outlives the matrix
    for (const job of jobs)
      if (existsSync(labPaths(layout.labDir(job.id)).state))
        await stopVm(labPaths(layout.labDir(job.id))).catch(() => undefined);
  }
  const summary = await gatherMatrix(out, ctx);
  return { summary, seconds: (Date.now() - started) / 1000, jobs: parallel };
}

/** The gather step: every job's job.json, wherever it ran, into summary.json. */
export async function gatherMatrix(
  out: string,
  ctx: Pick<LabContext, 'store' | 'progress' | 'signal'>,
): Promise<MatrixSummary> {
  const { plan, jobs } = await readPlan(out);
  const layout = matrixLayout(out);
  const results = new Map<string, JobResult>();
  for (const job of jobs) {
    const r = await readJobResult(layout.labDir(job.id), job);
    if (r?.id === job.id) results.set(job.id, r);
  }
  const summary = summarizeMatrix(plan.matrix, jobs, results);
  summary.comparisons = await compareKernels(out, jobs, results, ctx);
  await writeJson(layout.summary, summary);
  return summary;
}

/**
 * For each scenario, the first kernel's runs against each other kernel's
 * (lab compare's groups of repeats): a figure's medians, ranges and ratio,
 * the call paths on one side only, the functions compiled differently, the
 * verdicts that differ; one page each.
 */
async function compareKernels(
  out: string,
  jobs: Job[],
  results: Map<string, JobResult>,
  ctx: Pick<LabContext, 'store' | 'progress' | 'signal'>,
): Promise<NonNullable<MatrixSummary['comparisons']>> {
  const comparisons: NonNullable<MatrixSummary['comparisons']> = [];
  const kernels = [...new Set(jobs.map((j) => j.kernel))];
  await mkdir(path.join(out, 'compare'), { recursive: true });
  for (const scenario of new Set(jobs.map((j) => j.scenario))) {
    const runsOf = (kernel: string) =>
      jobs
        .filter((j) => j.kernel === kernel && j.scenario === scenario)
        .flatMap((j) => {
          const r = results.get(j.id);
          return r?.status === 'done' && r.runDir && existsSync(r.runDir) ? [r.runDir] : [];
        });
    const a = await Promise.all(runsOf(kernels[0]!).map(readRunFigures));
    for (const kernel of kernels.slice(1)) {
      const b = await Promise.all(runsOf(kernel).map(readRunFigures));
      if (a.length === 0 || b.length === 0) continue;
      const comparison = await compareWithKernels(ctx, a, b);
      const page = await writeCompareReport(
        path.join(out, 'compare', `${scenario}.${kernels[0]}-vs-${kernel}.html`),
        comparison,
      );
      comparisons.push({
        scenario,
        a: kernels[0]!,
        b: kernel,
        page: page.file,
        verdictsDiffer: comparison.verdicts.map((v) => v.path),
      });
    }
  }
  return comparisons;
}
