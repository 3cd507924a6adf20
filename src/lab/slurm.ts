import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { labMain, storeRoot } from '../config/paths.js';
import { LabError } from '../errors.js';
import { parseSacct, sacctStates, sbatchArgs, slurmScripts } from '../matrix/slurm-plan.js';
import { execute } from '../process/runner.js';
import { readCheckedText } from '../util/checked-file.js';
import { readCheckedJson, RECORD_BYTES } from '../util/checked-record.js';
import { findOnPath } from '../util/which.js';
import { SlurmSubmissionSchema, type SlurmSubmission } from '../matrix/records.js';
import { expandSpec, matrixLayout } from './matrix.js';

export type { SlurmSubmission };

function slurmDir(out: string): string {
  return path.join(out, 'slurm');
}

function need(program: 'sbatch' | 'sacct'): void {
  if (!findOnPath(program)) throw new LabError('SLURM_MISSING', `${program} is not on PATH`);
}

async function sbatch(args: string[]): Promise<string> {
  const r = await execute({ program: 'sbatch', args, what: 'sbatch' }, { timeoutMs: 60_000 });
  const id = r.stdout.toString().trim().split(';')[0] ?? '';
  if (r.exitCode !== 0 || !/^\d+$/.test(id))
    throw new LabError(
      'SLURM_FAILED',
      `sbatch ${path.basename(args.at(-1) ?? '')} failed: ` +
        `${r.stderr.toString().trim().split('\n')[0] ?? `exit ${r.exitCode}`}`,
    );
  return id;
}

/**
 * lab matrix SPEC --slurm: the build step, the job array and the gather step
 * as sbatch scripts in OUT/slurm, and submit.sh that chains them; with
 * submit, lab chains them itself and remembers the job ids for --status.
 */
export async function writeSlurm(
  specFile: string,
  out: string,
  options: { submit: boolean; partition?: string; sameStart?: boolean },
) {
  const { spec, jobs } = expandSpec(specFile, { sameStart: options.sameStart });
  const dir = slurmDir(out);
  await mkdir(dir, { recursive: true });
  const scripts = slurmScripts({
    name: spec.name,
    out,
    spec: path.resolve(specFile),
    jobIds: jobs.map((j) => j.id),
    node: process.execPath,
    labMain: labMain(),
    storeRoot: storeRoot(),
    vm: spec.vm,
    timeout: spec.timeout,
    partition: options.partition,
    sameStart: options.sameStart,
  });
  const file = (n: string) => path.join(dir, n);
  await writeFile(file('build.sbatch'), scripts.build);
  await writeFile(file('array.sbatch'), scripts.array);
  await writeFile(file('gather.sbatch'), scripts.gather);
  await writeFile(file('jobs.txt'), scripts.jobsList);
  await writeFile(file('submit.sh'), scripts.submit);
  await chmod(file('submit.sh'), 0o755);
  let submitted: SlurmSubmission | undefined;
  if (options.submit) {
    need('sbatch');
    const build = await sbatch(sbatchArgs('build', file('build.sbatch')));
    const array = await sbatch(sbatchArgs('array', file('array.sbatch'), build));
    const gather = await sbatch(sbatchArgs('gather', file('gather.sbatch'), array));
    submitted = { build, array, gather };
    await writeFile(file('submitted.json'), JSON.stringify(submitted) + '\n');
  }
  return { script: file('submit.sh'), dir, tasks: jobs.length, submitted };
}

/** lab matrix --status OUT: each array task's state in sacct, by job name; a task sacct does not know is MISSING. */
export async function slurmStatus(out: string) {
  const file = path.join(slurmDir(out), 'submitted.json');
  if (!existsSync(file))
    throw new LabError(
      'MATRIX_NOT_PREPARED',
      `${out} was not submitted with lab matrix --slurm --submit (no slurm/submitted.json)`,
    );
  const read = { code: 'MATRIX_NOT_PREPARED', hint: 'submit it again: lab matrix SPEC --slurm --submit' } as const;
  const submitted = await readCheckedJson(file, SlurmSubmissionSchema, read);
  const jobIds = (await readCheckedText(path.join(slurmDir(out), 'jobs.txt'), { ...read, maxBytes: RECORD_BYTES }))
    .split('\n')
    .filter(Boolean);
  need('sacct');
  const query = async (id: string) => {
    const r = await execute(
      { program: 'sacct', args: ['-j', id, '-P', '-n', '-o', 'JobID,State,ExitCode'], what: 'sacct' },
      { timeoutMs: 60_000 },
    );
    if (r.exitCode !== 0)
      throw new LabError('SLURM_FAILED', `sacct failed: ${r.stderr.toString().trim().split('\n')[0]}`);
    return r.stdout.toString();
  };
  const steps = sacctStates(await query(`${submitted.build},${submitted.gather}`));
  const jobs = parseSacct(await query(submitted.array), submitted.array, jobIds);
  const summary = matrixLayout(out).summary;
  return {
    out,
    submitted,
    build: steps.get(submitted.build)?.state ?? 'MISSING',
    gather: steps.get(submitted.gather)?.state ?? 'MISSING',
    jobs,
    summary: existsSync(summary) ? summary : undefined,
  };
}
