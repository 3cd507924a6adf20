import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the store lives: LAB_CACHE, else ~/.cache/lab (XDG_CACHE_HOME honoured). */
export function storeRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LAB_CACHE) return path.resolve(env.LAB_CACHE);
  const cache = env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(cache, 'lab');
}

/** The lab directory of the current project: --lab-dir, LAB_DIR, else ./.lab. */
export function labDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(explicit ?? env.LAB_DIR ?? '.lab');
}

/** The project's own folders (kernel-configs/, gdb-scripts/, image/, profiles/), found from the compiled file. */
export function projectRoot(): string {
  return projectRootOf(import.meta.url);
}

/**
 * The project from this module's file URL (pure): dist/config/paths.js or
 * src/config/paths.ts, two levels up. fileURLToPath decodes the URL (a
 * checkout under "My Labs" or "Übungen" is %20 and %C3%9C in its pathname).
 */
export function projectRootOf(moduleUrl: string): string {
  return path.resolve(path.dirname(fileURLToPath(moduleUrl)), '..', '..');
}

export interface LabPaths {
  root: string;
  state: string;
  build: string;
  vmDir: string;
  serialLog: string;
  qemuLog: string;
  consoleSocket: string;
  agentSocket: string;
  qmpSocket: string;
  /** Where a boot snapshot's stream passes between QEMU and lab, saved or restored. */
  snapshotSocket: string;
  /** The lab's named moments: their memory (a qcow2 QEMU saves into), and what lab knows of each. */
  momentsDisk: string;
  moments: string;
  pidFile: string;
  disk: string;
  sshKey: string;
  runs: string;
}

export function labPaths(root: string): LabPaths {
  const vmDir = path.join(root, 'vm');
  return {
    root,
    state: path.join(root, 'state.json'),
    build: path.join(root, 'build.json'),
    vmDir,
    serialLog: path.join(vmDir, 'serial.log'),
    qemuLog: path.join(vmDir, 'qemu.log'),
    consoleSocket: path.join(vmDir, 'console.sock'),
    agentSocket: path.join(vmDir, 'agent.sock'),
    qmpSocket: path.join(vmDir, 'qmp.sock'),
    snapshotSocket: path.join(vmDir, 'snapshot.sock'),
    momentsDisk: path.join(vmDir, 'moments.qcow2'),
    moments: path.join(vmDir, 'moments.json'),
    pidFile: path.join(vmDir, 'qemu.pid'),
    disk: path.join(vmDir, 'disk.qcow2'),
    sshKey: path.join(root, 'ssh', 'id_ed25519'),
    runs: path.join(root, 'runs'),
  };
}
