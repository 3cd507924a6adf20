import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLabFile } from '../../src/config/lab-file.js';
import { rootfsOf } from '../../src/lab/build-inputs.js';
import { tempDir } from '../helpers/cli.js';
import { archSpec, ARCHES, crossPrefix, debuggerFor, hostArch, parseArch } from '../../src/arch/arch.js';
import { LabError } from '../../src/errors.js';
import { buildCommand, configCommands, kernelTargets } from '../../src/kernel/plan.js';
import { mergedRequirements } from '../../src/kernel/config.js';
import { otherArchDir } from '../../src/kernel/kconfig-symbols.js';
import { elfMachine } from '../../src/util/elf.js';
import { installedPackages } from '../../src/util/dpkg-status.js';
import { formatCommand } from '../../src/process/command.js';

describe('the architectures, as a table', () => {
  it('takes the names people and tools use, and refuses others in one line', () => {
    expect(['x86_64', 'amd64', 'x64'].map((a) => parseArch(a))).toEqual(['x86_64', 'x86_64', 'x86_64']);
    expect(['arm64', 'aarch64', 'AArch64'].map((a) => parseArch(a))).toEqual(['arm64', 'arm64', 'arm64']);
    const err = (() => {
      try {
        parseArch('riscv64');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('BAD_ARCH');
    expect((err as LabError).message).toBe('--arch "riscv64" is not an architecture lab builds');
    expect(hostArch('x64')).toBe('x86_64');
    expect(hostArch('arm64')).toBe('arm64');
  });

  it('cross-compiles only for another architecture, and debugs it with gdb-multiarch', () => {
    expect(crossPrefix('arm64', 'x86_64')).toBe('aarch64-linux-gnu-');
    expect(crossPrefix('x86_64', 'arm64')).toBe('x86_64-linux-gnu-');
    expect(crossPrefix('arm64', 'arm64')).toBeUndefined();
    expect(debuggerFor('arm64', 'x86_64')).toBe('gdb-multiarch');
    expect(debuggerFor('x86_64', 'x86_64')).toBe('gdb');
  });

  it('every architecture has a boot image under its own arch/ directory, and distinct channels', () => {
    for (const arch of ARCHES) {
      const s = archSpec(arch);
      expect(s.bootImage.path).toBe(`arch/${s.kernelArch}/boot/${s.bootImage.target}`);
      expect(new Set([s.tty.console, s.tty.agent, s.tty.kgdb]).size).toBe(3);
      expect(s.cross.prefix).toBe(`${s.machine}-linux-gnu-`);
    }
  });
});

describe('an arm64 kernel build, as words', () => {
  const target = { arch: 'arm64' as const, crossCompile: 'aarch64-linux-gnu-' };

  it('makes Image, vmlinux and the gdb scripts with ARCH=arm64 and the cross compiler', () => {
    expect(kernelTargets('arm64')).toEqual(['Image', 'vmlinux', 'scripts_gdb']);
    expect(formatCommand(buildCommand('/src', '/b', 2, kernelTargets('arm64'), undefined, target))).toBe(
      'make -C /src O=/b ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- -j2 Image vmlinux scripts_gdb',
    );
    const config = configCommands('/src', '/b', 'tinyconfig', ['/f/lab.config', '/f/arm64.config'], target);
    expect(config.map(formatCommand)).toEqual([
      'make -C /src O=/b ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- tinyconfig',
      '/src/scripts/kconfig/merge_config.sh -m -O /b /b/.config /f/lab.config /f/arm64.config',
      'make -C /src O=/b ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- olddefconfig',
    ]);
  });

  it("checks a later fragment's value of an option, as merge_config.sh applies it", () => {
    const required = mergedRequirements([
      { name: 'systemd.config', text: 'CONFIG_RTC_CLASS=y\nCONFIG_RTC_DRV_CMOS=y\n' },
      { name: 'arm64.config', text: '# CONFIG_RTC_DRV_CMOS is not set\nCONFIG_RTC_DRV_PL031=y\n' },
    ]);
    expect(required.map((r) => [r.name, r.value, r.origin])).toEqual([
      ['CONFIG_RTC_CLASS', 'y', 'systemd.config:1'],
      ['CONFIG_RTC_DRV_CMOS', null, 'arm64.config:1'],
      ['CONFIG_RTC_DRV_PL031', 'y', 'arm64.config:2'],
    ]);
  });

  it("reads the options of the target's own arch/ directory only", () => {
    expect(otherArchDir('arch/x86', 'arm64')).toBe(true);
    expect(otherArchDir('arch/x86', 'x86')).toBe(false);
    expect(otherArchDir('arch/arm64', 'arm64')).toBe(false);
    expect(otherArchDir('arch', 'arm64')).toBe(false);
    expect(otherArchDir('mm', 'arm64')).toBe(false);
  });
});

describe('what a file or a root is for', () => {
  it("names an ELF file's machine from its header", () => {
    const head = Buffer.alloc(64);
    head.writeUInt32BE(0x7f454c46, 0);
    head[4] = 2;
    head[5] = 1;
    head.writeUInt16LE(183, 0x12);
    expect(elfMachine(head)).toBe('aarch64');
    head.writeUInt16LE(62, 0x12);
    expect(elfMachine(head)).toBe('x86_64');
    head.writeUInt16LE(243, 0x12);
    expect(elfMachine(head)).toBe('machine 243');
  });

  it("names another architecture's package as apt does, when the system's own is given", () => {
    const status = [
      'Package: busybox-static\nStatus: install ok installed\nArchitecture: arm64\nVersion: 1:1.35.0-4+b1',
      'Package: gcc\nStatus: install ok installed\nArchitecture: amd64\nVersion: 4:12.2.0-3',
      'Package: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 2025b',
    ].join('\n\n');
    expect(installedPackages(status, 'amd64')).toEqual({
      'busybox-static:arm64': '1:1.35.0-4+b1',
      gcc: '4:12.2.0-3',
      tzdata: '2025b',
    });
    expect(Object.keys(installedPackages(status))).toEqual(['busybox-static', 'gcc', 'tzdata']);
  });
});

describe("an arm64 lab's rootfs", () => {
  const labWith = (rootfs: string) => {
    const dir = tempDir('rootfs');
    writeFileSync(path.join(dir, 'lab.json'), `{"name": "a", "profile": "debian", "arch": "arm64"${rootfs}}`);
    return readLabFile(path.join(dir, 'lab.json'));
  };

  it("is the initramfs when only the profile names Debian's, the Debian image when lab.json or --rootfs do", () => {
    const quiet = labWith('');
    expect(rootfsOf({}, quiet, quiet.profile, 'arm64')).toBe('initramfs');
    expect(rootfsOf({}, quiet, quiet.profile, 'x86_64')).toBe('debian');
    const named = labWith(', "rootfs": {"kind": "debian"}');
    expect(rootfsOf({}, named, named.profile, 'arm64')).toBe('debian');
    expect(rootfsOf({ rootfs: 'initramfs' }, named, named.profile, 'arm64')).toBe('initramfs');
    // --profile replaces lab.json, so its rootfs too
    expect(rootfsOf({ profile: 'debian' }, named, named.profile, 'arm64')).toBe('initramfs');
    expect(rootfsOf({ rootfs: 'debian' }, undefined, quiet.profile, 'arm64')).toBe('debian');
  });
});
