import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import type { LabPaths } from '../../src/config/paths.js';
import type { VmState } from '../../src/vm/state.js';
import { tempDir } from './cli.js';

/** A whole state.json as lab up writes it, naming pid. */
export function stateFor(paths: LabPaths, pid: number): VmState {
  return {
    pid,
    qemu: '/usr/bin/qemu-system-x86_64',
    qemuVersion: '7.2.0',
    firmwareDirs: [],
    accel: 'tcg',
    gdbPort: 4321,
    memory: '2G',
    cpus: 2,
    startedAt: new Date().toISOString(),
    kernel: { bzImage: '/s/bzImage', vmlinux: '/s/vmlinux', gdbScript: '/s/vmlinux-gdb.py', version: '6.1', key: 'k' },
    rootfs: { kind: 'initramfs', file: '/s/initramfs.cpio', key: 'r', channel: 'agent' },
    sockets: { console: paths.consoleSocket, agent: paths.agentSocket, qmp: paths.qmpSocket },
    serialLog: paths.serialLog,
    profile: 'debian',
  };
}

/** A process named qemu-system-x86_64 that is no QEMU of this lab: a copy of sleep under that name. */
export function decoy(): ChildProcess {
  const bin = path.join(tempDir('decoy'), 'qemu-system-x86_64');
  copyFileSync('/bin/sleep', bin);
  return spawn(bin, ['300'], { stdio: 'ignore' });
}
