/**
 * scripts/install-deps.sh's two sets, README's two Quick-start lines: with no
 * argument, what lab doctor asks of every profile and nothing of the test
 * stack; with --tests, every purpose. Runs the script's --list (no apt-get).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { listProfiles, loadProfile } from '../../src/config/profile.js';
import { purposesFor } from '../../src/doctor/checks.js';
import { loadHostPackages, ON_REQUEST_PURPOSES, PURPOSES } from '../../src/doctor/host-packages.js';
import { PROJECT } from '../helpers/cli.js';

const script = path.join(PROJECT, 'scripts', 'install-deps.sh');

async function listed(...args: string[]): Promise<string[]> {
  const r = await execa('bash', [script, '--list', ...args], { reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

function purposesOf(packages: string[]): Set<string> {
  const byPackage = new Map(loadHostPackages().map((p) => [p.package, p.purpose]));
  return new Set(packages.map((p) => byPackage.get(p.replace(/\?$/, '')) ?? `unlisted ${p}`));
}

describe('scripts/install-deps.sh', () => {
  it('installs, with no argument, what every profile needs and no test stack', async () => {
    const packages = await listed();
    const purposes = purposesOf(packages);
    for (const name of listProfiles()) {
      const profile = loadProfile(name);
      for (const qemuBuild of [false, true]) {
        for (const p of purposesFor({ qemuBuild, rootfs: profile.rootfs })) expect(purposes, name).toContain(p);
      }
    }
    expect(packages.filter((p) => /^(mariadb|slurm|munge|chromium)/.test(p))).toEqual([]);
    expect(purposes).not.toContain('tests');
    expect(purposes).not.toContain('cluster');
  });

  it('adds the test stack with --tests: every purpose in the list but those installed on request', async () => {
    const packages = await listed('--tests');
    const expected = PURPOSES.filter((p) => !ON_REQUEST_PURPOSES.includes(p));
    expect([...purposesOf(packages)].sort()).toEqual([...expected].sort());
    expect(packages).toEqual(expect.arrayContaining(['mariadb-server', 'slurmctld', 'chromium']));
  });

  it('refuses a purpose the list does not have, in one line', async () => {
    const r = await execa('bash', [script, 'qemu', 'tset'], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('no purpose "tset"');
  });

  it('is what README and CI run', () => {
    expect(readFileSync(path.join(PROJECT, '.ci', 'run'), 'utf8')).toContain('bash scripts/install-deps.sh --tests\n');
  });
});
