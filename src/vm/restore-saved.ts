import { copyFile } from 'node:fs/promises';
import { InterruptedError } from '../errors.js';
import type { LabPaths } from '../config/paths.js';
import type { Progress } from '../progress/progress.js';
import { openMuxInBackground } from '../guest/ssh.js';
import { clearVmFiles, isOurQemu, killVm, writeState, type VmState } from './state.js';
import { waitReady } from './ready.js';
import { loadBootSnapshot, resumeGuest, type SnapshotFiles } from './boot-snapshot.js';
import type { StartRequest } from './start-request.js';

/** A saved guest's stream QEMU reads and the disk that goes with it, or the lab's named moment it loads. */
export type RestoreFrom = { memory: string; disk?: string } | { moment: string };

export interface MomentContext {
  request: StartRequest;
  sshPublicKey?: string;
  progress: Progress;
  signal?: AbortSignal;
  /** Starts QEMU; restoring, returns once QEMU runs (it reads the stream itself), else once the guest is ready. */
  launch(from?: RestoreFrom): Promise<VmState>;
}

/** The VM's state with how it started, written. */
export async function started(paths: LabPaths, state: VmState, start: VmState['start']): Promise<VmState> {
  const withStart: VmState = { ...state, start };
  await writeState(paths, withStart);
  return withStart;
}

/**
 * A guest saved in the store, restored: QEMU reads its memory, the guest is
 * resumed as this moment's own (clock, seed, ssh key), and ssh's shared
 * connection is opened. A guest that does not come up is stopped, and the error thrown.
 */
export async function restoreSaved(
  paths: LabPaths,
  files: SnapshotFiles,
  label: string,
  ctx: MomentContext,
): Promise<VmState> {
  const { request, progress, signal } = ctx;
  const stage = progress.stage(`restore (${label})`);
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
    stage.done('guest ready');
    return state;
  } catch (err) {
    if (state) await killVm(paths, state);
    else await clearVmFiles(paths);
    throw err;
  }
}
