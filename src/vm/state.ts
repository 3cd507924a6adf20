import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import type { LabPaths } from '../config/paths.js';
import { writeFileAtomically } from '../util/atomic-write.js';
import { parseJsonQuietly, readCheckedText } from '../util/checked-file.js';
import { LabError } from '../errors.js';
import { isLabQemuCmdline, isVmState, vmStateProblem, type VmState } from './state-schema.js';
import { isAlive } from '../process/signals.js';
import { closeMux } from '../guest/ssh.js';

export type { VmState } from './state-schema.js';

/** The state file's text, checked (pure): a damaged file is STATE_CORRUPT, never a stack trace. */
export function parseState(text: string, file: string): VmState {
  const value = parseJsonQuietly(text, file, 'STATE_CORRUPT');
  if (!isVmState(value)) throw new LabError('STATE_CORRUPT', `${file}: ${vmStateProblem(value)}`);
  // written before firmwareDirs was recorded
  return { ...value, firmwareDirs: value.firmwareDirs ?? [] };
}

export async function readState(paths: LabPaths): Promise<VmState | undefined> {
  if (!existsSync(paths.state)) return undefined;
  const text = await readCheckedText(paths.state, { code: 'STATE_CORRUPT', maxBytes: 1024 * 1024 });
  return parseState(text, paths.state);
}

export async function writeState(paths: LabPaths, state: VmState): Promise<void> {
  await writeFileAtomically(paths.state, JSON.stringify(state, null, 2));
}

/**
 * The process is ours only if it is alive, not a zombie, and is the QEMU this
 * lab directory started: its command line serves QMP on qmpSocket (pids are
 * reused, and a damaged state file may name any process).
 */
export async function isOurQemu(pid: number, qmpSocket: string): Promise<boolean> {
  if (!Number.isInteger(pid) || pid < 2 || !isAlive(pid)) return false;
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const zombie = / Z /.test(stat.slice(stat.lastIndexOf(')')));
    return isLabQemuCmdline(cmdline, qmpSocket) && !zombie;
  } catch {
    return false;
  }
}

/** Removes what a VM leaves behind: state, sockets, pid file (the serial log stays for reading). */
export async function clearVmFiles(paths: LabPaths): Promise<void> {
  for (const f of [paths.state, paths.consoleSocket, paths.agentSocket, paths.qmpSocket, paths.pidFile]) {
    await rm(f, { force: true });
  }
}

export async function waitExit(pid: number, qmpSocket: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!(await isOurQemu(pid, qmpSocket))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !(await isOurQemu(pid, qmpSocket));
}

/** SIGKILL (only to this lab's QEMU), then the files cleared. */
export async function killVm(paths: LabPaths, state: VmState): Promise<void> {
  if (await isOurQemu(state.pid, paths.qmpSocket)) {
    try {
      process.kill(state.pid, 'SIGKILL');
    } catch {
      // gone already
    }
    await waitExit(state.pid, paths.qmpSocket, 3000);
  }
  if (state.ssh) await closeMux(state.ssh);
  await clearVmFiles(paths);
}
