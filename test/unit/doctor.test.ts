import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/config/profile.js';
import { checksFor, installLine, purposesFor, runChecks, type Probe } from '../../src/doctor/checks.js';
import {
  loadHostPackages,
  ON_REQUEST_PURPOSES,
  parseHostPackages,
  providedCommands,
  PURPOSES,
} from '../../src/doctor/host-packages.js';
import { diagnoseHost } from '../../src/lab/doctor.js';
import { renderDoctor } from '../../src/cli/render.js';
import { HOST_PROGRAMS } from '../../src/process/programs.js';
import { PROJECT } from '../helpers/cli.js';

const everything: Probe = {
  hasCommand: () => true,
  hasFile: () => true,
  isStatic: () => true,
  hasPkgConfig: async () => true,
};

describe('the host package list', () => {
  const packages = loadHostPackages();

  it('provides every program the code can run', () => {
    const provided = providedCommands(packages);
    const missing = HOST_PROGRAMS.filter((p) => !provided.has(p));
    expect(missing, 'programs in src/process/programs.ts that no line of deps/host-packages.txt provides').toEqual([]);
  });

  it('names every program a source file hands to a Command', () => {
    // the type system already keeps programs to HOST_PROGRAMS; this catches a list that drifted from the code
    const src = path.join(PROJECT, 'src');
    const named = new Set<string>();
    for (const file of listTs(src)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/program: '([\w.-]+)'/g)) named.add(m[1]!);
    }
    expect(named.size).toBeGreaterThan(10);
    expect([...named].filter((p) => !(HOST_PROGRAMS as readonly string[]).includes(p))).toEqual([]);
  });

  it('is what install-deps.sh installs: every purpose, each package once', () => {
    const script = readFileSync(path.join(PROJECT, 'scripts', 'install-deps.sh'), 'utf8');
    expect(script).toContain('deps/host-packages.txt');
    expect(new Set(packages.map((p) => p.purpose))).toEqual(new Set(PURPOSES));
  });

  it('refuses a line with an unknown purpose, naming the line', () => {
    expect(() => parseHostPackages('qemu x y\nbooot qemu-utils qemu-img\n')).toThrow(/host-packages.txt:2: expected/);
  });
});

function listTs(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

describe('lab doctor', () => {
  const packages = loadHostPackages();
  const debian = loadProfile('debian');

  it('checks the system QEMU, or what building one needs instead', () => {
    const system = checksFor(packages, purposesFor({ qemuBuild: false, rootfs: 'debian' }), debian).map(
      (c) => c.package,
    );
    expect(system).toEqual(expect.arrayContaining(['qemu-system-x86', 'debootstrap', 'gdb', 'openssh-client']));
    expect(system).not.toContain('ninja-build');
    const building = checksFor(packages, purposesFor({ qemuBuild: true, rootfs: 'debian' }), debian).map(
      (c) => c.package,
    );
    expect(building).toEqual(
      expect.arrayContaining(['ninja-build', 'meson', 'libglib2.0-dev', 'libslirp-dev', 'seabios', 'ipxe-qemu']),
    );
    expect(building).not.toContain('qemu-system-x86');
  });

  it("checks a distribution's kernel source only for a profile that builds from it", () => {
    const installed = {
      ...debian,
      kernel: {
        ...debian.kernel,
        source: {
          kind: 'debian-package' as const,
          package: 'linux-source-6.1',
          path: '/usr/src/linux-source-6.1.tar.xz',
        },
      },
    };
    expect(checksFor(packages, ['kernel'], installed).map((c) => c.package)).toContain('linux-source-6.1');
    // the debian profile fetches its .deb from the pool: no host package for it, on Debian 12 or 13
    expect(checksFor(packages, ['kernel'], debian).map((c) => c.package)).not.toContain('linux-source-6.1');
    expect(checksFor(packages, ['kernel'], loadProfile('6.6')).map((c) => c.package)).not.toContain('linux-source-6.1');
  });

  it('takes either image builder', async () => {
    const onlyMmdebstrap: Probe = { ...everything, hasCommand: (n) => n !== 'debootstrap' };
    const results = await runChecks(checksFor(packages, ['image']), onlyMmdebstrap);
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it("an arm64 lab needs arm64's QEMU and gdb-multiarch, and no Debian image tools", () => {
    expect(purposesFor({ qemuBuild: false, rootfs: 'debian', arch: 'arm64' })).toEqual([
      'arm64',
      'debug',
      'kernel',
      'initramfs',
    ]);
    expect(purposesFor({ qemuBuild: false, rootfs: 'debian' })).toContain('image');
  });

  it('names what is missing and gives one apt-get line, with --all', async () => {
    const probe: Probe = {
      ...everything,
      hasCommand: (n) => !['debootstrap', 'mmdebstrap', 'ninja'].includes(n),
      hasPkgConfig: async (m) => m !== 'slirp',
    };
    const report = await diagnoseHost({ all: true }, probe);
    expect(report.purposes).toEqual(PURPOSES.filter((p) => !ON_REQUEST_PURPOSES.includes(p)));
    expect(report.purposes).not.toContain('arm64');
    // mmdebstrap itself makes the build root; the image takes either
    expect(report.missing.map((r) => r.check.what)).toEqual([
      'mmdebstrap',
      'debootstrap or mmdebstrap',
      'ninja',
      'pkg-config slirp',
    ]);
    expect(report.install).toBe('sudo apt-get install -y mmdebstrap debootstrap ninja-build libslirp-dev');
    const text = renderDoctor(report);
    expect(text).toContain('MISSING  debootstrap or mmdebstrap  (package debootstrap, for image)');
    expect(text).toContain(
      '4 missing; install with:\n  sudo apt-get install -y mmdebstrap debootstrap ninja-build libslirp-dev',
    );
    expect(installLine(await runChecks(checksFor(packages, PURPOSES), everything))).toBeUndefined();
  });
});
