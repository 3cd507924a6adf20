/**
 * lab doctor through the CLI on this machine: after scripts/install-deps.sh
 * (as .ci/run and README's Quick start run it) nothing is missing; with
 * debootstrap taken off PATH, it is named with its apt-get line.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHostPackages, providedCommands } from '../../src/doctor/host-packages.js';
import { findOnPath } from '../../src/util/which.js';
import { lab, tempDir } from '../helpers/cli.js';

/** A PATH with every command the list provides, as found on this machine, except the ones left out. */
function pathWithout(...left: string[]): string {
  const dir = path.join(tempDir('doctor'), 'bin');
  mkdirSync(dir);
  for (const name of providedCommands(loadHostPackages()).keys()) {
    const found = findOnPath(name);
    if (found && !left.includes(name)) symlinkSync(found, path.join(dir, name));
  }
  return dir;
}

describe('lab doctor --all', () => {
  it('finds everything after install-deps.sh', async () => {
    const r = await lab(['doctor', '--all']);
    expect(r.stdout.trim().split('\n').at(-1), r.stdout).toBe('everything lab needs is here');
    expect(r.exitCode).toBe(0);
  });

  it("does not ask --all for arm64 guests' tools, which install-deps.sh installs only when named", async () => {
    const r = await lab(['doctor', '--all'], { env: { PATH: pathWithout('qemu-system-aarch64', 'gdb-multiarch') } });
    expect(r.stdout.trim().split('\n').at(-1), r.stdout).toBe('everything lab needs is here');
    expect(r.exitCode).toBe(0);
  });

  it('names debootstrap and the apt-get line when it is missing, exit 1', async () => {
    const r = await lab(['doctor', '--all', '--json'], { env: { PATH: pathWithout('debootstrap', 'mmdebstrap') } });
    expect(r.exitCode).toBe(1);
    const report = JSON.parse(r.stdout);
    // mmdebstrap itself makes the build root; the image takes either builder
    expect(report.missing.map((c: { what: string }) => c.what)).toEqual(['mmdebstrap', 'debootstrap or mmdebstrap']);
    expect(report.install).toBe('sudo apt-get install -y mmdebstrap debootstrap');
    const text = await lab(['doctor', '--all'], { env: { PATH: pathWithout('debootstrap', 'mmdebstrap') } });
    expect(text.stdout).toContain('MISSING  debootstrap or mmdebstrap  (package debootstrap, for image)');
    expect(text.stdout).toContain('MISSING  mmdebstrap  (package mmdebstrap, for kernel)');
    expect(text.stdout.trim().split('\n').slice(-2)).toEqual([
      '2 missing; install with:',
      '  sudo apt-get install -y mmdebstrap debootstrap',
    ]);
  });
});
