import { existsSync, readFileSync } from 'node:fs';
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

let root: string | undefined;
/** The project's own folders (kernel-configs/, gdb-scripts/, image/, profiles/), found from the running file. */
export function projectRoot(): string {
  root ??= projectRootOf(import.meta.url);
  return root;
}

/**
 * The project from a module's file URL: the nearest folder above it with a
 * package.json. The module may be dist/config/paths.js, src/config/paths.ts,
 * the bundle dist/lab.js or one of its chunks in dist/lab-chunks/.
 * fileURLToPath decodes the URL (a checkout under "My Labs" or "Übungen" is
 * %20 and %C3%9C in its pathname).
 */
export function projectRootOf(
  moduleUrl: string,
  hasManifest = (dir: string) => existsSync(path.join(dir, 'package.json')),
): string {
  const file = fileURLToPath(moduleUrl);
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (hasManifest(dir)) return dir;
  }
  throw new Error(`no package.json in any folder above ${file}`);
}

/** lab's command, as a matrix job's process runs it (here, or on a node that shares this path): the bundle. */
export function labMain(): string {
  return path.join(projectRoot(), 'dist', 'lab.js');
}

/** lab's own version, from its package.json. */
export function labVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8'));
  const version = typeof manifest === 'object' && manifest !== null && 'version' in manifest ? manifest.version : '';
  return typeof version === 'string' ? version : 'unknown';
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
