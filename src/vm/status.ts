import type { LabPaths } from '../config/paths.js';
import { LabError } from '../errors.js';
import type { Accel } from '../qemu/args.js';
import { qmpCommand } from '../qemu/qmp.js';
import { clearVmFiles, isOurQemu, readState, type VmState } from './state.js';

/** The VM as it stands: its state if QEMU is alive; stale state is cleaned and reported. */
export async function currentVm(paths: LabPaths): Promise<{ state?: VmState; staleCleaned?: VmState }> {
  const state = await readState(paths);
  if (!state) return {};
  if (await isOurQemu(state.pid, paths.qmpSocket)) return { state };
  await clearVmFiles(paths);
  return { staleCleaned: state };
}

export async function requireVm(paths: LabPaths): Promise<VmState> {
  const { state, staleCleaned } = await currentVm(paths);
  if (state) return state;
  const why = staleCleaned ? `the VM (pid ${staleCleaned.pid}) has stopped` : 'no VM is running';
  throw new LabError('VM_NOT_RUNNING', why, { hint: 'start one with lab up' });
}

export interface VmStatus {
  running: boolean;
  pid?: number;
  accel?: Accel;
  gdb?: string;
  sockets?: VmState['sockets'];
  uptimeSeconds?: number;
  runState?: string;
  kernel?: string;
  rootfs?: string;
  qemu?: string;
  profile?: string;
  ssh?: number;
  /** booted, or restored from its boot snapshot (the key) */
  start?: VmState['start'];
  staleCleaned?: boolean;
}

export async function vmStatus(paths: LabPaths): Promise<VmStatus> {
  const { state, staleCleaned } = await currentVm(paths);
  if (!state) return { running: false, staleCleaned: staleCleaned !== undefined };
  let runState: string | undefined;
  try {
    const r = (await qmpCommand(state.sockets.qmp, 'query-status', 2000)) as { status?: string };
    runState = r.status;
  } catch {
    runState = undefined;
  }
  return {
    running: true,
    pid: state.pid,
    accel: state.accel,
    gdb: `127.0.0.1:${state.gdbPort}`,
    sockets: state.sockets,
    uptimeSeconds: Math.round((Date.now() - Date.parse(state.startedAt)) / 1000),
    runState,
    kernel: state.kernel.version,
    rootfs: state.rootfs.kind,
    qemu: state.qemuVersion,
    profile: state.profile,
    ssh: state.ssh?.port,
    start: state.start,
  };
}
