import type { LabPaths } from '../config/paths.js';
import { LabError } from '../errors.js';
import { closeMux, sshExec } from '../guest/ssh.js';
import { GUEST_LAB_EXEC } from '../image/debian-plan.js';
import { qmpCommand } from '../qemu/qmp.js';
import { killGroup } from '../process/signals.js';
import { clearVmFiles, isOurQemu, killVm, waitExit } from './state.js';
import { currentVm } from './status.js';
import { pidFromFile } from './pid-file.js';

export type StopOutcome = 'stopped' | 'killed' | 'was-stopped' | 'none' | 'state-damaged';

/** Stops the VM: QMP quit, then SIGTERM, then SIGKILL; state left by a QEMU that died is cleaned. */
export async function stopVm(paths: LabPaths): Promise<{ outcome: StopOutcome; pid?: number }> {
  let current: Awaited<ReturnType<typeof currentVm>>;
  try {
    current = await currentVm(paths);
  } catch (err) {
    if (err instanceof LabError && err.code === 'STATE_CORRUPT') return stopByPidFile(paths);
    throw err;
  }
  const { state, staleCleaned } = current;
  if (staleCleaned) return { outcome: 'was-stopped', pid: staleCleaned.pid };
  if (!state) {
    await clearVmFiles(paths);
    return { outcome: 'none' };
  }
  if (state.ssh) {
    // QMP quit pulls the plug: what the student wrote would be lost in the
    // guest's page cache. The overlay keeps it only once the guest has synced.
    await sshExec(state.ssh, ['sync'], GUEST_LAB_EXEC, { timeoutMs: 20_000 }).catch(() => undefined);
    await closeMux(state.ssh);
  }
  try {
    await qmpCommand(state.sockets.qmp, 'quit', 3000);
  } catch {
    // fall through to signals
  }
  if (await waitExit(state.pid, paths.qmpSocket, 5000)) {
    await clearVmFiles(paths);
    return { outcome: 'stopped', pid: state.pid };
  }
  killGroup(state.pid, 'SIGTERM');
  try {
    process.kill(state.pid, 'SIGTERM');
  } catch {
    // gone
  }
  if (!(await waitExit(state.pid, paths.qmpSocket, 3000))) await killVm(paths, state);
  await clearVmFiles(paths);
  return { outcome: 'killed', pid: state.pid };
}

/**
 * A damaged state.json names no VM, but QEMU's own pid file does: the QEMU it
 * names is killed if it is this lab's (it serves QMP on this lab's socket),
 * and the files cleared.
 */
async function stopByPidFile(paths: LabPaths): Promise<{ outcome: StopOutcome; pid?: number }> {
  const pid = await pidFromFile(paths.pidFile);
  let killed: number | undefined;
  if (pid !== undefined && (await isOurQemu(pid, paths.qmpSocket))) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
    await waitExit(pid, paths.qmpSocket, 3000);
    killed = pid;
  }
  await clearVmFiles(paths);
  return { outcome: 'state-damaged', pid: killed };
}
