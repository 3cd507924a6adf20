import path from 'node:path';
import { scenariosDir } from '../scenario/schema.js';
import { sha256File } from '../util/hash.js';
import { pinnedFiles, type Job, type KernelPins, type UnpinnedJob } from './job.js';

/** The file a scenario name stands for: what a job pins of it. */
export function scenarioFile(name: string): string {
  return path.join(scenariosDir(), `${name}.json`);
}

/** A job with every input pinned: the files it reads by sha256, and what its kernel's build made. */
export async function pinJob(job: UnpinnedJob, kernel: KernelPins): Promise<Job> {
  const files: Record<string, string> = {};
  const read = { code: 'MATRIX_INVALID', what: 'a file the matrix pins', hint: 'name a regular file' } as const;
  for (const file of [...pinnedFiles(job.build), scenarioFile(job.scenario)])
    files[file] = await sha256File(file, read);
  return { ...job, pins: { files, ...kernel } };
}
