import path from 'node:path';
import { LabError } from '../errors.js';
import type { Job } from '../matrix/job.js';
import { JobResultSchema, type JobResult } from '../matrix/records.js';
import { readCheckedJsonIfAny } from '../util/checked-record.js';
import { JOB_RESULT } from './job.js';

/** A job's job.json; a damaged one is the job's failure, in one line, not the gather's. */
export async function readJobResult(labDir: string, job: Job): Promise<JobResult | undefined> {
  try {
    return await readCheckedJsonIfAny(path.join(labDir, JOB_RESULT), JobResultSchema, { code: 'JOB_INVALID' });
  } catch (err) {
    if (!(err instanceof LabError)) throw err;
    const { id, cell, kernel, scenario, repeat } = job;
    return {
      id,
      cell,
      kernel,
      scenario,
      repeat,
      status: 'failed',
      ok: false,
      verdicts: [],
      seconds: 0,
      host: '?',
      error: err.line(),
    };
  }
}
