import { existsSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { InterruptedError, LabError } from '../errors.js';
import type { LabPaths } from '../config/paths.js';
import type { Progress } from '../progress/progress.js';
import type { Store } from '../store/store.js';
import { sha256FileMemo } from '../store/file-memo.js';
import type { QemuPlan } from '../qemu/args.js';
import { clearVmFiles, isOurQemu, killVm, writeState, type VmState } from './state.js';
import { waitReady } from './ready.js';
import { openMuxInBackground } from '../guest/ssh.js';
import { bootSnapshotKey, machineOf, planStart, type BootShape, type StartPlan } from './boot-snapshot-key.js';
import { assertMomentFits, type Moment } from './moments.js';
import {
  forgetBootSnapshot,
  guestAgentAnswers,
  guestCanResume,
  loadBootSnapshot,
  resumeGuest,
  saveBootSnapshot,
  snapshotFiles,
} from './boot-snapshot.js';
import type { StartRequest } from './start-request.js';

export interface StartPlanFacts {
  /** A named moment of this lab to start at, instead of a boot or the boot snapshot. */
  moment?: Moment;
  forceBoot: boolean;
  /** The Debian overlay keeps an earlier session's files. */
  diskKept: boolean;
}

/** The boot snapshot's stream QEMU reads and the disk that goes with it, or the named moment it loads. */
export type RestoreFrom = { memory: string; disk?: string } | { moment: string };

export interface MomentContext {
  request: StartRequest;
  sshPublicKey?: string;
  progress: Progress;
  signal?: AbortSignal;
  /** Starts QEMU; when restoring, returns as soon as QEMU waits for the stream, else once the guest is ready. */
  launch(from?: RestoreFrom): Promise<VmState>;
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
  const { request, progress, signal } = ctx;
  const shape = await bootShapeOf(store, plan, request);
  const key = bootSnapshotKey(shape);
  if (facts.moment) return startAtMoment(paths, facts.moment, key, ctx);
  const files = snapshotFiles(store.entry('snapshots', key));
  let decision: StartPlan = planStart({ ...facts, snapshotExists: existsSync(files.record) });
  if (decision.kind === 'boot' && decision.why) progress.notice(`lab: booting: ${decision.why}`);

  if (decision.kind === 'restore') {
    const stage = progress.stage(`restore (boot snapshot ${key.slice(0, 8)})`);
    let state: VmState | undefined;
    try {
      const deadline = Date.now() + request.readyTimeoutMs;
      const disk = request.rootfs.kind === 'debian' ? files.disk : undefined;
      await copyFile(files.serialLog, paths.serialLog).catch(() => undefined);
      state = await ctx.launch({ memory: files.memory, disk });
      const running = state;
      await loadBootSnapshot(paths.qmpSocket, () => isOurQemu(running.pid, paths.qmpSocket), deadline);
      if (signal?.aborted) throw new InterruptedError('lab up');
      const guest = { sshPublicKey: ctx.sshPublicKey };
      await resumeGuest(paths.agentSocket, guest, Math.max(1000, deadline - Date.now()));
      if (signal?.aborted) throw new InterruptedError('lab up');
      // lab-resume answered through the agent and sshd was up when the snapshot was saved: the shared
      // connection (half a second) is opened in the background, not waited for
      if (state.ssh?.controlPath) openMuxInBackground({ ...state.ssh, controlPath: state.ssh.controlPath });
      else if (state.ssh)
        await waitReady(paths, state, Math.max(1000, deadline - Date.now()), { signal, restored: true });
      const restored: VmState = { ...state, start: { from: 'snapshot', snapshot: key, machine: key } };
      await writeState(paths, restored);
      stage.done('guest ready');
      return restored;
    } catch (err) {
      if (state) await killVm(paths, state);
      else await clearVmFiles(paths);
      if (err instanceof InterruptedError || signal?.aborted) throw err;
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      progress.notice(`lab: the boot snapshot did not restore (${why}); booting instead`);
      await forgetBootSnapshot(store, key);
      decision = { kind: 'boot', save: true };
    }
  }

  const state = await ctx.launch();
  const saved = decision.save && (await saveForNextTime(store, paths, state, { key, shape }, ctx));
  const booted: VmState = { ...state, start: { from: 'boot', ...(saved ? { snapshot: key } : {}), machine: key } };
  await writeState(paths, booted);
  return booted;
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
    const saved = await saveBootSnapshot(store, snapshot.key, vm, snapshot.shape, signal);
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
  const started: VmState = { ...state, start: { from: 'moment', moment: moment.name, machine } };
  await writeState(paths, started);
  return started;
}
