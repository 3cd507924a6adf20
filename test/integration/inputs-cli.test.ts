/**
 * The built CLI on inputs it did not write: one line naming the file and the
 * problem, the error table's exit code, never a stack trace (70), and lab
 * down never stops a process that is not this lab's QEMU.
 */
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { labPaths } from '../../src/config/paths.js';
import { isAlive } from '../../src/process/signals.js';
import { decoy, stateFor } from '../helpers/vm-state.js';
import { lab, LAB, PROJECT, tempDir } from '../helpers/cli.js';
import type { ChildProcess } from 'node:child_process';
import { execa } from 'execa';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const p of started.splice(0)) p.kill('SIGKILL');
});

function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  return lines[0]!;
}

describe('lab.json through the CLI', () => {
  it('a directory, 100,000 "[", a BOM', async () => {
    const cwd = tempDir('cli');
    mkdirSync(path.join(cwd, 'lab.json'));
    let r = await lab(['check', 'b.tar.gz'], { cwd });
    expect(oneLine(r.stderr)).toBe(
      `lab: ${path.join(cwd, 'lab.json')} is a directory, not a file: give a lab.json file`,
    );
    expect(r.exitCode).toBe(2);

    const deep = tempDir('cli');
    writeFileSync(path.join(deep, 'lab.json'), '['.repeat(100_000));
    r = await lab(['check', 'b.tar.gz'], { cwd: deep });
    expect(oneLine(r.stderr)).toMatch(/lab\.json:1:65: nested deeper than 64/);
    expect(r.exitCode).toBe(2);

    const bom = tempDir('cli');
    writeFileSync(path.join(bom, 'lab.json'), `\uFEFF${JSON.stringify({ name: 'c', profile: 'debian' })}`);
    writeFileSync(path.join(bom, 'b.tar.gz'), 'not a tarball');
    r = await lab(['check', 'b.tar.gz'], { cwd: bom });
    expect(r.stdout).toMatch(/b\.tar\.gz refused: it is not a \.tar\.gz/);
    expect(r.exitCode).toBe(1);
  });
});

describe('state.json through the CLI', () => {
  it('lab status on a state.json without rootfs is one STATE_CORRUPT line (exit 5)', async () => {
    const dir = tempDir('cli');
    const paths = labPaths(dir);
    mkdirSync(paths.vmDir, { recursive: true });
    const { rootfs: _, ...state } = stateFor(paths, process.pid);
    writeFileSync(paths.state, JSON.stringify(state));
    const r = await lab(['status', '--lab-dir', dir]);
    expect(oneLine(r.stderr)).toMatch(/state\.json: rootfs: missing/);
    expect(r.exitCode).toBe(5);
  });

  it('lab down leaves a process named qemu-system-x86_64 that is not its QEMU running', async () => {
    const d = decoy();
    started.push(d);
    const dir = tempDir('cli');
    const paths = labPaths(dir);
    mkdirSync(paths.vmDir, { recursive: true });
    writeFileSync(paths.state, JSON.stringify(stateFor(paths, d.pid!)));
    writeFileSync(paths.pidFile, `${d.pid}\n`);
    let r = await lab(['down', '--lab-dir', dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(isAlive(d.pid!)).toBe(true);
    // and on a damaged state.json, by QEMU's pid file
    writeFileSync(paths.state, JSON.stringify({ pid: d.pid }));
    writeFileSync(paths.pidFile, `${d.pid}\n`);
    r = await lab(['down', '--lab-dir', dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(isAlive(d.pid!)).toBe(true);
  });
});

describe('a checkout under a path with a space and a non-ASCII letter', () => {
  it('runs lab --help and lab doctor --json', async () => {
    const root = path.join(tempDir('cli'), 'My Labs', 'Übung é');
    mkdirSync(root, { recursive: true });
    for (const d of ['dist', 'deps', 'profiles', 'kernel-configs', 'package.json'])
      cpSync(path.join(PROJECT, d), path.join(root, d), { recursive: true });
    symlinkSync(path.join(PROJECT, 'node_modules'), path.join(root, 'node_modules'));
    const main = path.join(root, path.relative(PROJECT, LAB));
    const help = await execa(process.execPath, [main, '--help'], { reject: false });
    expect(help.exitCode, help.stderr).toBe(0);
    const doctor = await execa(process.execPath, [main, 'doctor', '--json'], {
      reject: false,
      env: { LAB_PROFILE: 'debian' },
    });
    expect(doctor.stderr).not.toMatch(/ENOENT|%20|%C3/);
    expect(JSON.parse(doctor.stdout)).toBeTypeOf('object');
  });
});
