import { existsSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import * as z from 'zod';
import { LabError } from '../errors.js';
import type { LabPaths } from '../config/paths.js';
import { execute } from '../process/runner.js';
import { DISK_NODE, MOMENTS_NODE } from '../qemu/args.js';
import { qemuImgFor } from '../qemu/overlay.js';
import { qmpCommand } from '../qemu/qmp.js';
import { writeFileAtomically } from '../util/atomic-write.js';
import { readCheckedJsonIfAny } from '../util/checked-record.js';
import { closeMux, openMux } from '../guest/ssh.js';
import { sleep } from '../util/sleep.js';
import type { VmState } from './state.js';

const MomentSchema = z.object({
  name: z.string(),
  savedAt: z.string(),
  /** The machine it was saved in (the boot snapshot key of that VM): it loads only into the same. */
  machine: z.string(),
  /** The guest's run state then: "paused" when gdb held it at a breakpoint. */
  runState: z.string(),
});

/** What lab keeps of one named moment; its memory (and disk state) are in a qcow2 (momentNode). */
export type Moment = z.infer<typeof MomentSchema>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A moment's name as the user gave it, or a BAD_OPTION error saying what one may be (pure). */
export function checkMomentName(name: string): string {
  if (!NAME.test(name)) {
    throw new LabError('BAD_OPTION', `${JSON.stringify(name)} is not a moment name`, {
      hint: 'a name is 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    });
  }
  return name;
}

/**
 * Where a moment is kept (pure): in the Debian overlay, memory and disk state
 * together; on the initramfs, which has no disk, in the moments disk. One
 * device: -loadvm finds a moment's memory on the first drive that has the tag.
 */
export function momentNode(hasDisk: boolean): string {
  return hasDisk ? DISK_NODE : MOMENTS_NODE;
}

export async function readMoments(paths: LabPaths): Promise<Moment[]> {
  const read = { code: 'STATE_CORRUPT' as const, maxBytes: 1 << 20 };
  return (await readCheckedJsonIfAny(paths.moments, z.array(MomentSchema), read)) ?? [];
}

/** The lab's moment NAME, or one BAD_OPTION line saying it has none of that name. */
export async function findMoment(paths: LabPaths, name: string): Promise<Moment> {
  const moment = (await readMoments(paths)).find((m) => m.name === checkMomentName(name));
  if (!moment) throw new LabError('BAD_OPTION', `this lab has no moment ${name}`, { hint: 'lab snapshot list' });
  return moment;
}

/** A moment goes only into the machine it was saved in (the boot snapshot key of that VM). */
export function assertMomentFits(moment: Moment, machine: string | undefined): void {
  if (moment.machine === machine) return;
  throw new LabError(
    'SNAPSHOT_FAILED',
    `moment ${moment.name} was saved in another VM (kernel, rootfs, QEMU or shape)`,
    {
      hint: 'it loads only into the VM it was saved in: lab up with the flags it had',
    },
  );
}

/** Forgets every moment of the lab: the Debian overlay that held them was made anew. */
export async function forgetMoments(paths: LabPaths): Promise<void> {
  await rm(paths.moments, { force: true });
}

/** The initramfs VM's moments disk: kept from the last session, or made (empty) when there is none. */
export async function prepareMomentsDisk(paths: LabPaths, qemuBinary: string): Promise<void> {
  if (existsSync(paths.momentsDisk)) return;
  const args = ['create', '-q', '-f', 'qcow2', paths.momentsDisk, '64M'];
  const r = await execute({ program: qemuImgFor(qemuBinary), args, what: 'qemu-img create (the moments disk)' });
  if (r.exitCode !== 0) {
    throw new LabError('DISK_FAILED', `qemu-img could not make the moments disk: ${r.stderr.toString().trim()}`);
  }
}

type SnapshotJob = 'snapshot-save' | 'snapshot-load' | 'snapshot-delete';
/** A moment of a few GiB of touched memory, written or read under load. */
const JOB_MS = 300_000;

/** One of QMP's snapshot jobs on the moments disk (and the Debian overlay), run to its end. */
async function snapshotJob(state: VmState, job: SnapshotJob, name: string): Promise<void> {
  const id = `lab-${job}-${process.pid}`;
  const node = momentNode(state.disk !== undefined);
  const devices = [node];
  const vmstate = job === 'snapshot-delete' ? {} : { vmstate: node };
  // the job runs in QEMU's main loop, as QMP does: while it writes a large guest, answers wait for it
  const deadline = Date.now() + JOB_MS;
  const left = () => Math.max(1000, deadline - Date.now());
  await qmpCommand(state.sockets.qmp, job, left(), { 'job-id': id, tag: name, devices, ...vmstate });
  while (Date.now() < deadline) {
    const jobs = (await qmpCommand(state.sockets.qmp, 'query-jobs', left())) as {
      id: string;
      status: string;
      error?: string;
    }[];
    const found = jobs.find((j) => j.id === id);
    if (!found || found.status === 'concluded' || found.status === 'null') {
      await qmpCommand(state.sockets.qmp, 'job-dismiss', 5000, { id }).catch(() => undefined);
      if (found?.error) throw new LabError('SNAPSHOT_FAILED', `QEMU's ${job} of ${name} failed: ${found.error}`);
      return;
    }
    await sleep(20);
  }
  throw new LabError('SNAPSHOT_FAILED', `QEMU did not finish ${job} of ${name} within ${JOB_MS / 1000} s`);
}

/** Saves the running guest as the moment NAME (replacing one of that name), also while gdb holds it. */
export async function saveMoment(paths: LabPaths, state: VmState, name: string): Promise<Moment & { bytes: number }> {
  checkMomentName(name);
  const machine = state.start?.machine;
  if (!machine)
    throw new LabError('SNAPSHOT_FAILED', 'this VM was started by an older lab: lab down, lab up, then save');
  const { status } = (await qmpCommand(state.sockets.qmp, 'query-status')) as { status: string };
  const known = await readMoments(paths);
  const others = known.filter((m) => m.name !== name);
  // QEMU keeps a tag once: saving a name again replaces that moment
  if (others.length < known.length) await snapshotJob(state, 'snapshot-delete', name);
  await snapshotJob(state, 'snapshot-save', name);
  const moment: Moment = { name, savedAt: new Date().toISOString(), machine, runState: status };
  await writeFileAtomically(paths.moments, JSON.stringify([...others, moment], null, 2) + '\n');
  return { ...moment, bytes: (await stat(state.disk ?? paths.momentsDisk)).size };
}

/**
 * Loads the moment NAME into the running VM: its memory, devices, clock and
 * (Debian) disk as they were when it was saved. The shared ssh connection is
 * closed first and opened again: the guest's end of it is not in the moment.
 */
export async function loadMoment(paths: LabPaths, state: VmState, name: string): Promise<Moment> {
  const moment = await findMoment(paths, name);
  assertMomentFits(moment, state.start?.machine);
  if (state.ssh) await closeMux(state.ssh);
  await snapshotJob(state, 'snapshot-load', name);
  if (state.ssh?.controlPath && !(await openMux({ ...state.ssh, controlPath: state.ssh.controlPath }))) {
    throw new LabError('SNAPSHOT_FAILED', `moment ${name} is loaded, but ssh does not answer in it`);
  }
  return moment;
}
