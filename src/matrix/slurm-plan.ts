import { shellQuote } from '../util/shell-quote.js';
import { mebibytes } from './spec.js';

/**
 * A matrix as Slurm batch scripts (pure): a build step that builds each
 * kernel once and writes the pinned jobs, a job array with one task per job
 * (SLURM_ARRAY_TASK_ID picks its line of jobs.txt), and a gather step that
 * runs once every task has ended, however it ended. Paths are the matrix
 * directory's, on a filesystem every node shares, as the store must be.
 */

export interface SlurmPlanInput {
  name: string;
  out: string;
  spec: string;
  jobIds: string[];
  /** node and lab's main.js, as the nodes find them. */
  node: string;
  labMain: string;
  storeRoot: string;
  vm: { memory: string; cpus: number };
  /** Seconds one job may take. */
  timeout: number;
  partition?: string;
  /** lab matrix --same-start: the build step writes jobs that start from each scenario's start moment. */
  sameStart?: boolean;
}

export interface SlurmScripts {
  build: string;
  array: string;
  gather: string;
  jobsList: string;
  /** Submits the three steps, chained, and keeps their ids in submitted.json. */
  submit: string;
}

/** sbatch's --mem for a VM: the guest's memory and 1 GiB for QEMU and lab (pure). */
export function taskMemory(guest: string): string {
  return `${mebibytes(guest) + 1024}M`;
}

function header(input: SlurmPlanInput, what: string, lines: string[]): string {
  const dir = `${input.out}/slurm`;
  return [
    '#!/bin/sh',
    `#SBATCH --job-name=${shellQuote(`lab-${input.name}-${what}`)}`,
    ...(input.partition ? [`#SBATCH --partition=${shellQuote(input.partition)}`] : []),
    ...lines.map((l) => `#SBATCH ${l}`),
    `#SBATCH --output=${shellQuote(`${dir}/${what}-%A${what === 'task' ? '_%a' : ''}.out`)}`,
    'set -eu',
    `export LAB_CACHE=${shellQuote(input.storeRoot)}`,
  ].join('\n');
}

export function slurmScripts(input: SlurmPlanInput): SlurmScripts {
  const lab = `${shellQuote(input.node)} ${shellQuote(input.labMain)}`;
  const out = shellQuote(input.out);
  const minutes = Math.ceil(input.timeout / 60) + 5;
  const taskOptions = [
    `--array=0-${input.jobIds.length - 1}`,
    `--cpus-per-task=${input.vm.cpus}`,
    `--mem=${taskMemory(input.vm.memory)}`,
    `--time=${minutes}`,
  ];
  return {
    build: `${header(input, 'build', ['--cpus-per-task=2', '--mem=4G', '--time=180'])}
# each distinct kernel built once into the shared store, then the pinned job files
exec ${lab} matrix ${shellQuote(input.spec)} --prepare-only --out ${out}${input.sameStart ? ' --same-start' : ''}
`,
    array: `${header(input, 'task', taskOptions)}
# this task's job: line SLURM_ARRAY_TASK_ID+1 of jobs.txt
id=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" ${shellQuote(`${input.out}/slurm/jobs.txt`)})
exec ${lab} run --spec ${out}/jobs/"$id".json --lab-dir ${out}/labs/"$id" --json
`,
    gather: `${header(input, 'gather', ['--cpus-per-task=1', '--mem=1G', '--time=30'])}
exec ${lab} matrix --gather ${out}
`,
    jobsList: input.jobIds.join('\n') + '\n',
    submit: `#!/bin/sh
# submits the matrix: the array after a successful build, the gather after every task
set -eu
cd ${shellQuote(`${input.out}/slurm`)}
build=$(sbatch ${sbatchArgs('build', 'build.sbatch').join(' ')})
array=$(sbatch ${sbatchArgs('array', 'array.sbatch', '"$build"').join(' ')})
gather=$(sbatch ${sbatchArgs('gather', 'gather.sbatch', '"$array"').join(' ')})
printf '{"build":"%s","array":"%s","gather":"%s"}\\n' "$build" "$array" "$gather" > submitted.json
echo "build $build, array $array, gather $gather"
`,
  };
}

/**
 * The sbatch argv of each step, chained by dependencies (pure): the array
 * after the build succeeded, the gather after every task.
 */
export function sbatchArgs(step: 'build' | 'array' | 'gather', script: string, after?: string): string[] {
  const dependency =
    step === 'array' ? [`--dependency=afterok:${after}`] : step === 'gather' ? [`--dependency=afterany:${after}`] : [];
  return ['--parsable', ...dependency, script];
}

/** Each line of `sacct -P -n -o JobID,State,ExitCode` by its JobID (pure); "CANCELLED by 0" is CANCELLED. */
export function sacctStates(text: string): Map<string, { state: string; exitCode?: string }> {
  const states = new Map<string, { state: string; exitCode?: string }>();
  for (const line of text.split('\n')) {
    const [jobId, state, exitCode] = line.split('|');
    if (jobId && state) states.set(jobId, { state: state.split(' ')[0]!, exitCode });
  }
  return states;
}

/**
 * A state per job from sacct's lines of the array (pure): task N is
 * jobIds[N], ARRAY_N in sacct; a task sacct does not list is MISSING.
 */
export function parseSacct(
  text: string,
  arrayId: string,
  jobIds: string[],
): Array<{ id: string; task: number; state: string; exitCode?: string }> {
  const states = sacctStates(text);
  return jobIds.map((id, task) => ({ id, task, ...(states.get(`${arrayId}_${task}`) ?? { state: 'MISSING' }) }));
}
