import path from 'node:path';
import { LabError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { defineCommand } from '../command.js';
import { renderJobEvent, renderMatrixSummary } from '../render-matrix.js';

/** lab matrix: kernels × scenarios × repeats, here in parallel or as Slurm job arrays. */
export const matrixCommand = defineCommand({
  command: 'matrix [spec]',
  describe:
    'run a matrix of kernels × scenarios × repeats ' +
    '(matrices/example.json): here with --jobs N, or on Slurm with --slurm',
  options: (y) =>
    y
      .positional('spec', { type: 'string', describe: 'the matrix spec (JSON)' })
      .option('out', {
        type: 'string',
        describe: 'where the jobs, their lab directories and summary.json go (default .lab/matrices/NAME)',
      })
      .option('jobs', { type: 'number', describe: 'jobs side by side, one VM each (default: from cores and memory)' })
      .option('prepare-only', {
        type: 'boolean',
        describe: "build the kernels and write the job files, run nothing (Slurm's build step)",
      })
      .option('run', {
        type: 'string',
        describe: 'run the jobs of a matrix directory prepared before (--prepare-only), here',
      })
      .option('gather', {
        type: 'string',
        describe: "collect the job results in this matrix directory into summary.json (Slurm's gather step)",
      })
      .option('same-start', {
        type: 'boolean',
        describe: "start every job from its scenario's start moment, saved once in the store",
      })
      .option('slurm', {
        type: 'boolean',
        describe: 'write an sbatch build step, job array and gather step instead of running here',
      })
      .option('submit', { type: 'boolean', describe: 'with --slurm: submit them with sbatch' })
      .option('partition', { type: 'string', describe: 'with --slurm: the Slurm partition' })
      .option('status', {
        type: 'string',
        describe: 'a matrix directory submitted with --slurm: each job done, failed or missing, from sacct',
      }),
  request: (a) => ({
    spec: a.spec,
    out: a.out,
    jobs: a.jobs,
    prepareOnly: a.prepareOnly,
    run: a.run,
    gather: a.gather,
    slurm: a.slurm,
    submit: a.submit,
    partition: a.partition,
    status: a.status,
    sameStart: a.sameStart,
  }),
  run: async (cli, m) => {
    const matrix = await import('../../lab/matrix.js');
    if (m.sameStart && (m.status || m.gather || m.run))
      throw new LabError(
        'BAD_OPTION',
        '--same-start goes with a spec: the jobs of a prepared matrix say how they start',
        {
          hint: 'lab matrix SPEC --same-start',
        },
      );
    if (m.status) {
      const r = await (await import('../../lab/slurm.js')).slurmStatus(path.resolve(m.status));
      cli.out(cli.json ? JSON.stringify(r, null, 2) : (await import('../render-matrix.js')).renderSlurmStatus(r));
      return r.jobs.every((j) => j.state === 'COMPLETED') ? 0 : 1;
    }
    if (m.gather) {
      const s = await matrix.gatherMatrix(path.resolve(m.gather), cli.lab);
      cli.out(cli.json ? JSON.stringify(s, null, 2) : renderMatrixSummary(s));
      // the summary is written: the gather step succeeded, whatever the jobs did (--status and the table say that)
      return 0;
    }
    if (m.run) return runHere(cli, path.resolve(m.run), m.jobs);
    if (!m.spec)
      throw new LabError('BAD_OPTION', 'lab matrix needs a spec', { hint: 'lab matrix matrices/example.json' });
    const { spec } = matrix.expandSpec(m.spec, { sameStart: m.sameStart });
    const out = path.resolve(m.out ?? path.join(cli.lab.paths.root, 'matrices', spec.name));
    if (m.slurm) {
      const r = await (
        await import('../../lab/slurm.js')
      ).writeSlurm(m.spec, out, { submit: m.submit ?? false, partition: m.partition, sameStart: m.sameStart });
      cli.out(
        cli.json
          ? JSON.stringify(r, null, 2)
          : `wrote ${r.script} (${r.tasks} array tasks)\n` +
              (r.submitted
                ? `submitted: build ${r.submitted.build}, array ${r.submitted.array}, ` +
                  `gather ${r.submitted.gather}\nlab matrix --status ${out}`
                : `submit it with: sh ${r.script}`),
      );
      return 0;
    }
    if (m.submit) throw new LabError('BAD_OPTION', '--submit goes with --slurm');
    const plan = await matrix.prepareMatrix(cli.lab, m.spec, out, { sameStart: m.sameStart });
    if (m.prepareOnly) {
      cli.out(
        cli.json
          ? JSON.stringify(plan, null, 2)
          : `matrix ${plan.matrix}: ${plan.jobs.length} jobs written to ${out}/jobs`,
      );
      return 0;
    }
    return runHere(cli, out, m.jobs);
  },
});

/** The prepared jobs of OUT here, one line per finished job, then the summary table. */
async function runHere(cli: CliContext, out: string, jobs: number | undefined): Promise<number> {
  const matrix = await import('../../lab/matrix.js');
  const { plan } = await matrix.readPlan(out);
  let finished = 0;
  let completed = 0;
  const stage = cli.lab.progress.stage(`matrix ${plan.matrix}`);
  const r = await matrix.runMatrixHere(cli.lab, out, {
    jobs,
    onJob: (e) => {
      if (e.status !== 'started') finished++;
      if (e.status === 'done' || e.status === 'failed') completed++;
      const line = renderJobEvent(e, finished, plan.jobs.length);
      if (line) cli.lab.progress.notice(line);
      stage.update({ done: finished, total: plan.jobs.length });
    },
  });
  stage.done(`${completed} of ${plan.jobs.length} jobs finished`);
  if (cli.lab.signal?.aborted)
    throw new LabError(
      'INTERRUPTED',
      `matrix ${plan.matrix} interrupted: ${completed} of ${plan.jobs.length} jobs had finished, no VM is left`,
    );
  cli.out(
    cli.json
      ? JSON.stringify({ out, ...r }, null, 2)
      : renderMatrixSummary(r.summary, [
          `${r.jobs} at a time, ${r.seconds.toFixed(0)} s wall; summary: ${path.join(out, 'summary.json')}`,
        ]),
  );
  return r.summary.done === r.summary.jobs ? 0 : 1;
}
