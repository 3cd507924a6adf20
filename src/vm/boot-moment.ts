import { existsSync } from 'node:fs';
import { InterruptedError, LabError } from '../errors.js';
import type { LabPaths } from '../config/paths.js';
import type { Store } from '../store/store.js';
import { sha256FileMemo } from '../store/file-memo.js';
import type { QemuPlan } from '../qemu/args.js';
import { killVm, type VmState } from './state.js';
import { waitReady } from './ready.js';
import { bootSnapshotKey, machineOf, planStart, type BootShape, type StartPlan } from './boot-snapshot-key.js';
import { assertMomentFits, type Moment } from './moments.js';
import {
  forgetBootSnapshot,
  guestAgentAnswers,
  guestCanResume,
  saveGuestSnapshot,
  snapshotFiles,
} from './boot-snapshot.js';
import { restoreSaved, started, type MomentContext } from './restore-saved.js';
import { startAtSharedStart, type SharedStart } from './shared-start.js';
import type { StartRequest } from './start-request.js';

export type { MomentContext, RestoreFrom } from './restore-saved.js';

export interface StartPlanFacts {
  /** A named moment of this lab to start at, instead of a boot or the boot snapshot. */
  moment?: Moment;
  /** A scenario's start moment in the store to start at, made first when there is none. */
  sharedStart?: SharedStart;
  forceBoot: boolean;
  /** The Debian overlay keeps an earlier session's files. */
  diskKept: boolean;
}

/** What a boot depends on, for its snapshot's key. */
async function bootShapeOf(
  store: Store,
  plan: Omit<QemuPlan, 'disk' | 'incomingFd'>,
  request: StartRequest,
): Promise<BootShape> {
  return {
    kernel: { key: request.kernel.key },
    rootfs: { kind: request.rootfs.kind, key: request.rootfs.key },
    qemu: {
      version: request.qemu.version,
      sha256: await sha256FileMemo(store, request.qemu.binary),
      firmwareDirs: request.qemu.firmwareDirs,
    },
    // the Debian overlay is a disk either way: on the image, or on the snapshot's disk
    machine: machineOf({ ...plan, ...(request.rootfs.kind === 'debian' ? { disk: 'DISK' } : {}) }),
  };
}

/**
 * lab up's start: the boot snapshot of this exact VM restored when there is
 * one (and the disk may take it), else a boot that saves one for next time.
 * A snapshot that does not restore is dropped, and the guest boots instead.
 */
export async function restoreOrBoot(
  store: Store,
  paths: LabPaths,
  plan: Omit<QemuPlan, 'disk' | 'incomingFd'>,
  facts: StartPlanFacts,
  ctx: MomentContext,
): Promise<VmState> {
  const { request } = ctx;
  const shape = await bootShapeOf(store, plan, request);
  const key = bootSnapshotKey(shape);
  if (facts.moment) return startAtMoment(paths, facts.moment, key, ctx);
  const boot = { key, shape };
  const bootGuest = () => restoreOrBootAt(store, paths, boot, facts, ctx);
  if (facts.sharedStart) return startAtSharedStart(store, paths, boot, facts.sharedStart, bootGuest, ctx);
  return bootGuest();
}

/** The boot snapshot KEY restored when there is one and the disk may take it, else a boot that saves it. */
async function restoreOrBootAt(
  store: Store,
  paths: LabPaths,
  { key, shape }: { key: string; shape: BootShape },
  facts: StartPlanFacts,
  ctx: MomentContext,
): Promise<VmState> {
  const { progress, signal } = ctx;
  const files = snapshotFiles(store.entry('snapshots', key));
  let decision: StartPlan = planStart({ ...facts, snapshotExists: existsSync(files.record) });
  if (decision.kind === 'boot' && decision.why) progress.notice(`lab: booting: ${decision.why}`);

  if (decision.kind === 'restore') {
    try {
      const restored = await restoreSaved(paths, files, `boot snapshot ${key.slice(0, 8)}`, ctx);
      return await started(paths, restored, { from: 'snapshot', snapshot: key, machine: key });
    } catch (err) {
      if (err instanceof InterruptedError || signal?.aborted) throw err;
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      progress.notice(`lab: the boot snapshot did not restore (${why}); booting instead`);
      await forgetBootSnapshot(store, key);
      decision = { kind: 'boot', save: true };
    }
  }

  const state = await ctx.launch();
  const saved = decision.save && (await saveForNextTime(store, paths, state, { key, shape }, ctx));
  return started(paths, state, { from: 'boot', ...(saved ? { snapshot: key } : {}), machine: key });
}

/** Saves the guest just booted as its boot snapshot; a failure is one line, and the guest runs on. */
async function saveForNextTime(
  store: Store,
  paths: LabPaths,
  state: VmState,
  snapshot: { key: string; shape: BootShape },
  ctx: MomentContext,
): Promise<boolean> {
  const { progress, signal } = ctx;
  try {
    if (!(await guestCanResume(paths.agentSocket, state.rootfs.kind, Date.now() + 20_000))) {
      progress.notice('lab: no boot snapshot: this rootfs has no lab-resume (lab build makes one that has)');
      return false;
    }
    const stage = progress.stage('boot snapshot (for the next lab up)');
    const vm = {
      qmpSocket: paths.qmpSocket,
      streamSocket: paths.snapshotSocket,
      disk: state.disk,
      serialLog: paths.serialLog,
    };
    // another lab up of the same VM may have saved it while this one booted
    const entry = { kind: 'snapshots', key: snapshot.key, about: { shape: snapshot.shape } } as const;
    const saved = await saveGuestSnapshot(store, entry, vm, signal);
    stage.done(
      saved
        ? `${(saved.bytes / (1 << 20)).toFixed(0)} MiB in ${(saved.ms / 1000).toFixed(1)} s`
        : 'saved meanwhile by another lab',
    );
    return true;
  } catch (err) {
    if (err instanceof InterruptedError || signal?.aborted) {
      await killVm(paths, state);
      throw err;
    }
    const why = err instanceof LabError || err instanceof Error ? err.message.split('\n')[0] : String(err);
    progress.notice(`lab: the boot snapshot was not saved (${why}); the guest runs on`);
    return false;
  }
}

/** QEMU started at a named moment of this lab (-loadvm): memory, devices, clock and disk as they were saved. */
async function startAtMoment(paths: LabPaths, moment: Moment, machine: string, ctx: MomentContext): Promise<VmState> {
  assertMomentFits(moment, machine);
  const stage = ctx.progress.stage(`start at moment ${moment.name}`);
  const state = await ctx.launch({ moment: moment.name });
  try {
    const deadline = Date.now() + ctx.request.readyTimeoutMs;
    if (state.ssh) await waitReady(paths, state, ctx.request.readyTimeoutMs, { signal: ctx.signal, restored: true });
    else if (!(await guestAgentAnswers(paths.agentSocket, deadline)))
      throw new LabError('SNAPSHOT_FAILED', `the guest's agent does not answer at moment ${moment.name}`);
  } catch (err) {
    await killVm(paths, state);
    throw err;
  }
  stage.done('guest ready');
  return started(paths, state, { from: 'moment', moment: moment.name, machine });
}
