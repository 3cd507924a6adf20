/**
 * The arm64 Debian image on an x86_64 host, as data: debootstrap's first
 * stage, the guest that runs the second, and what each needs. The build
 * itself (a quarter of an hour under TCG) runs in scripts/arm64-debian-image.sh.
 */
import { describe, expect, it } from 'vitest';
import {
  debianImageKeyInputs,
  debootstrapCommand,
  firstStageDiskCommand,
  LAB_UNITS,
  MASKED_UNITS,
  SECOND_STAGE,
  SECOND_STAGE_DONE,
  secondStageScript,
  unpackTreeCommand,
} from '../../src/image/debian-plan.js';
import { foreignBuilderMissing } from '../../src/image/second-stage.js';
import { rootfsFor } from '../../src/arch/arch.js';
import { secondStageArgs } from '../../src/qemu/args.js';
import { keyOf } from '../../src/util/hash.js';

const after = (args: string[], flag: string) => args.flatMap((a, i) => (args[i - 1] === flag ? [a] : []));

describe('a Debian image for another architecture', () => {
  it("runs debootstrap's first stage only, for Debian's arm64", () => {
    const c = debootstrapCommand('/s/tree', ['a'], {
      mirror: 'http://m/debian',
      cacheDir: '/s/c',
      foreignArch: 'arm64',
    });
    expect(c.args.slice(0, 3)).toEqual(['--variant=minbase', '--arch=arm64', '--foreign']);
    expect(debootstrapCommand('/s/tree', ['a'], { mirror: 'http://m/debian', cacheDir: '/s/c' }).args).not.toContain(
      '--foreign',
    );
  });

  it('gives the second stage a script that stops at its first failure, and says done once the tar is written', () => {
    const lines = secondStageScript().trim().split('\n');
    expect(lines.slice(0, 2)).toEqual(['#!/bin/sh', 'set -e']);
    expect(lines).toContain('/debootstrap/debootstrap --second-stage');
    expect(lines).toContain(`systemctl enable ${LAB_UNITS.join(' ')}`);
    expect(lines).toContain(`systemctl mask ${MASKED_UNITS.join(' ')}`);
    const tar = lines.findIndex((l) => l.includes('tar ') && l.includes('-cf /dev/vdb'));
    expect(tar).toBeGreaterThan(lines.indexOf('/debootstrap/debootstrap --second-stage'));
    expect(lines[tar]).toContain(`--exclude=.${SECOND_STAGE}`);
    expect(lines.at(-1)).toBe(`echo '${SECOND_STAGE_DONE}'`);
  });

  it('boots the first stage as the root disk under TCG, the tar on a second disk, and exits with the guest', () => {
    const args = secondStageArgs({
      arch: 'arm64',
      kernel: '/s/Image',
      init: SECOND_STAGE,
      rootImage: '/s/first.ext4',
      outTar: '/s/out.tar',
      consoleLog: '/s/console.log',
    });
    expect(after(args, '-machine')).toEqual(['virt,gic-version=3,accel=tcg']);
    expect(after(args, '-append')[0]!.split(' ')).toEqual([
      'console=ttyAMA0',
      'root=/dev/vda',
      'rw',
      `init=${SECOND_STAGE}`,
      'panic=-1',
    ]);
    expect(after(args, '-drive')).toEqual([
      'file=/s/first.ext4,format=raw,if=none,id=root',
      'file=/s/out.tar,format=raw,if=none,id=out',
    ]);
    expect(after(args, '-serial')).toEqual(['file:/s/console.log']);
    expect(args).toContain('-no-reboot');
    expect(args).not.toContain('-daemonize');
    expect(args).not.toContain('-nic'); // the second stage needs no network: the first fetched every .deb
    expect(firstStageDiskCommand('/s/tree', '/s/first.ext4', 1408).args).toEqual([
      '-q',
      '-F',
      '-t',
      'ext4',
      '-d',
      '/s/tree',
      '/s/first.ext4',
      '1408M',
    ]);
    expect(unpackTreeCommand('/s/out.tar', '/s/t').args).toEqual(
      expect.arrayContaining(['-p', '--numeric-owner', '--xattrs', '-f', '/s/out.tar', '-C', '/s/t']),
    );
  });

  it("keys the arm64 image apart, and leaves x86_64's key as it was", () => {
    const image = { mirror: 'http://m', packages: ['a'], overlay: [], toolSha256s: {} };
    const x86 = keyOf(debianImageKeyInputs(image));
    expect(debianImageKeyInputs(image)).not.toHaveProperty('arch');
    const arm64 = keyOf(debianImageKeyInputs({ ...image, debianArch: 'arm64', secondStageInGuest: true }));
    expect(arm64).not.toBe(x86);
    expect(arm64).not.toBe(keyOf(debianImageKeyInputs({ ...image, debianArch: 'arm64' })));
  });

  it('is built when asked for by name; an arm64 build gets the initramfs otherwise', () => {
    expect(rootfsFor('arm64', 'debian', true)).toBe('debian');
    expect(rootfsFor('arm64', 'debian', false)).toBe('initramfs');
    expect(rootfsFor('x86_64', 'debian', false)).toBe('debian');
    expect(rootfsFor('x86_64', 'initramfs', false)).toBe('initramfs');
  });

  it('says in one line what a foreign build lacks: root, the QEMU, the kernel', () => {
    const all = () => true;
    expect(foreignBuilderMissing('arm64', false, '/s/Image', all)?.message).toBe(
      'the arm64 Debian image is built as root (debootstrap --foreign)',
    );
    const noQemu = foreignBuilderMissing('arm64', true, '/s/Image', (c) => c !== 'qemu-system-aarch64');
    expect(noQemu?.message).toBe("qemu-system-aarch64 is not installed (it runs the image's second stage)");
    expect(noQemu?.hint).toBe('bash scripts/install-deps.sh arm64');
    expect(foreignBuilderMissing('arm64', true, undefined, all)?.code).toBe('BAD_OPTION');
    expect(foreignBuilderMissing('arm64', true, '/s/Image', all)).toBeUndefined();
  });
});
