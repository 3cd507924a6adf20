import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LabError, withCleanup } from '../errors.js';
import { fileMismatches, parseJob, pinMismatches, type Job, type JobResult } from '../matrix/job.js';
import { scenarioFile } from '../matrix/pin.js';
import { writeFileAtomically } from '../util/atomic-write.js';
import { readCheckedText } from '../util/checked-file.js';
import { RECORD_BYTES } from '../util/checked-record.js';
import { sha256File } from '../util/hash.js';
import { assertPortFree, freeLocalPort } from '../vm/ports.js';
import { stopVm } from '../vm/stop.js';
import { buildLab } from './build.js';
import type { LabContext } from './context.js';
import { runScenario } from './scenario.js';
import { runStartOf, sharedStartOf } from './same-start.js';
import { loadScenario } from '../scenario/schema.js';
import type { VmState } from '../vm/state.js';
import { startBuiltVm } from './vm.js';

/** The gdb port lab uses when it is free. */
const DEFAULT_GDB_PORT = 4321;

export type { JobResult };

export const JOB_RESULT = 'job.json';

export async function readJobFile(file: string): Promise<Job> {
  if (!existsSync(file)) throw new LabError('JOB_INVALID', `${file} does not exist`);
  return parseJob(await readCheckedText(file, { code: 'JOB_INVALID', maxBytes: RECORD_BYTES }), file);
}

const PINNED = {
  code: 'JOB_INVALID',
  what: 'a file the job pins',
  hint: 'give a job file that lab matrix wrote',
} as const;

/** 4321 when it is free, else any free loopback port: jobs side by side each get their own. */
async function gdbPortForJob(): Promise<number> {
  try {
    await assertPortFree(DEFAULT_GDB_PORT);
    return DEFAULT_GDB_PORT;
  } catch {
    return freeLocalPort();
  }
}

/**
 * lab run --spec JOB: the job alone, from nothing but its file and the store:
 * build (a store hit once the matrix built its kernel), check every pin, boot
 * a VM of its own, run the scenario, stop the VM whatever happens, and leave
 * job.json in the lab directory.
 */
export async function runJob(ctx: LabContext, jobFile: string): Promise<JobResult> {
  const job = await readJobFile(jobFile);
  await rm(path.join(ctx.paths.root, JOB_RESULT), { force: true });
  const started = Date.now();
  const result = (extra: Partial<JobResult>): JobResult => ({
    id: job.id,
    cell: job.cell,
    kernel: job.kernel,
    scenario: job.scenario,
    repeat: job.repeat,
    status: 'failed',
    ok: false,
    verdicts: [],
    seconds: (Date.now() - started) / 1000,
    host: os.hostname(),
    ...extra,
  });
  let outcome: JobResult;
  try {
    outcome = await performJob(ctx, job, result);
  } catch (err) {
    outcome = result({ error: err instanceof LabError ? err.line() : (err as Error).message });
    await writeJobResult(ctx, outcome);
    throw err;
  }
  await writeJobResult(ctx, outcome);
  return outcome;
}

async function performJob(
  ctx: LabContext,
  job: Job,
  result: (extra: Partial<JobResult>) => JobResult,
): Promise<JobResult> {
  if (!(scenarioFile(job.scenario) in job.pins.files))
    throw new LabError('JOB_INVALID', `job ${job.id} does not pin its scenario file`);
  const files: Record<string, string | undefined> = {};
  for (const file of Object.keys(job.pins.files))
    files[file] = existsSync(file) ? await sha256File(file, PINNED) : undefined;
  // the files first: a changed fragment or scenario is refused before any build
  const changed = fileMismatches(job.pins.files, files);
  if (changed.length) throw new LabError('JOB_PIN_MISMATCH', `job ${job.id}: ${changed.join('; ')}`);
  const build = await buildLab(ctx, { ...job.build });
  const built = pinMismatches(job.pins, {
    files,
    kernelKey: build.kernel.key,
    rootfsKey: build.rootfs.key,
    qemu: build.qemu.version,
  });
  if (built.length) throw new LabError('JOB_PIN_MISMATCH', `job ${job.id}: ${built.join('; ')}`);

  const sharedStart = job.sameStart
    ? sharedStartOf(loadScenario(job.scenario), job.pins.files[scenarioFile(job.scenario)]!, ctx.signal)
    : undefined;
  let gdbPort = await gdbPortForJob();
  let vm: VmState;
  for (let attempt = 1; ; attempt++) {
    try {
      vm = await startBuiltVm(
        ctx,
        build,
        {
          memory: job.vm.memory,
          cpus: job.vm.cpus,
          gdbPort,
          accel: 'auto',
          // the spec's timeout is the job's, boot to verdict: a loaded node may spend more of it booting
          bootTimeout: job.timeout,
          fresh: true,
        },
        sharedStart,
      );
      break;
    } catch (err) {
      // a job beside this one took the port between the check and QEMU's bind
      if (!(err instanceof LabError && err.code === 'PORT_IN_USE') || attempt === 3) throw err;
      gdbPort = await freeLocalPort();
    }
  }
  return withCleanup(
    async () => {
      const start = runStartOf(vm);
      if (sharedStart && !start)
        throw new LabError('SNAPSHOT_FAILED', `job ${job.id}: the VM is not at the start moment`);
      const run = await runScenario(ctx, job.scenario, start);
      return result({
        status: 'done',
        ok: run.result.ok,
        verdicts: run.result.verdicts.map((v) => ({ path: v.path, fired: v.fired, ok: v.ok })),
        runDir: run.runDir,
        gdbPort,
      });
    },
    () => stopVm(ctx.paths).then(() => undefined),
    "stopping the job's VM",
  );
}

async function writeJobResult(ctx: LabContext, r: JobResult): Promise<void> {
  await writeFileAtomically(path.join(ctx.paths.root, JOB_RESULT), JSON.stringify(r, null, 2) + '\n');
}
