/**
 * lab down stops only the QEMU this lab directory started: a state.json (or
 * QEMU's pid file) naming any other process, even one called
 * qemu-system-x86_64, leaves it alone; a state.json missing a field is one
 * STATE_CORRUPT line.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { labPaths } from '../../src/config/paths.js';
import { isAlive } from '../../src/process/signals.js';
import { parsePid } from '../../src/vm/pid-file.js';
import { isLabQemuCmdline } from '../../src/vm/state-schema.js';
import { readState } from '../../src/vm/state.js';
import { vmStatus } from '../../src/vm/status.js';
import { stopVm } from '../../src/vm/stop.js';
import { tempDir } from '../helpers/cli.js';
import { decoy, stateFor } from '../helpers/vm-state.js';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const p of started.splice(0)) p.kill('SIGKILL');
});

describe('whose QEMU it is', () => {
  it("is this lab's QEMU only when its command line serves QMP on this lab's socket", () => {
    const qemu = ['/usr/bin/qemu-system-x86_64', '-qmp', 'unix:/l/vm/qmp.sock,server=on,wait=off', ''].join('\0');
    expect(isLabQemuCmdline(qemu, '/l/vm/qmp.sock')).toBe(true);
    expect(isLabQemuCmdline(qemu, '/other/vm/qmp.sock')).toBe(false);
    expect(isLabQemuCmdline(qemu, '/l/vm/qmp')).toBe(false);
    expect(isLabQemuCmdline(['qemu-system-x86_64', '300', ''].join('\0'), '/l/vm/qmp.sock')).toBe(false);
    expect(isLabQemuCmdline('/bin/sh\0-c\0unix:/l/vm/qmp.sock,\0', '/l/vm/qmp.sock')).toBe(false);
  });

  it('a pid file holds one pid of 2 or more', () => {
    expect(parsePid('1234\n')).toBe(1234);
    expect(parsePid('1')).toBeUndefined();
    expect(parsePid('-1')).toBeUndefined();
    expect(parsePid('12 13')).toBeUndefined();
    expect(parsePid('')).toBeUndefined();
  });
});

describe('lab down on a state.json lab did not leave', () => {
  it('a state.json naming a process called qemu-system-x86_64 leaves it running', async () => {
    const d = decoy();
    started.push(d);
    const paths = labPaths(tempDir('down'));
    mkdirSync(paths.vmDir, { recursive: true });
    writeFileSync(paths.state, JSON.stringify(stateFor(paths, d.pid!)));
    writeFileSync(paths.pidFile, `${d.pid}\n`);
    expect(await stopVm(paths)).toEqual({ outcome: 'was-stopped', pid: d.pid });
    expect(isAlive(d.pid!)).toBe(true);
    expect(await readState(paths)).toBeUndefined();
  });

  it('a damaged state.json whose pid file names it leaves it running too', async () => {
    const d = decoy();
    started.push(d);
    const paths = labPaths(tempDir('down'));
    mkdirSync(paths.vmDir, { recursive: true });
    const { rootfs: _, ...noRootfs } = stateFor(paths, d.pid!);
    writeFileSync(paths.state, JSON.stringify(noRootfs));
    writeFileSync(paths.pidFile, `${d.pid}\n`);
    await expect(vmStatus(paths)).rejects.toMatchObject({
      code: 'STATE_CORRUPT',
      message: `${paths.state}: rootfs: missing`,
    });
    expect(await stopVm(paths)).toEqual({ outcome: 'state-damaged', pid: undefined });
    expect(isAlive(d.pid!)).toBe(true);
  });
});
