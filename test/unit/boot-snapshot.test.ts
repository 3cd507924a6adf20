import { describe, expect, it } from 'vitest';
import { bootSnapshotKey, planStart, type BootShape } from '../../src/vm/boot-snapshot-key.js';
import { overlayCommand } from '../../src/qemu/overlay.js';
import { resumeRequest } from '../../src/guest/agent-protocol.js';

const shape: BootShape = {
  arch: 'x86_64',
  kernel: { key: 'k1' },
  rootfs: { kind: 'initramfs', key: 'r1' },
  qemu: { version: 'QEMU emulator version 7.2.22', sha256: 'q1', firmwareDirs: [] },
  accel: 'tcg',
  memory: '2G',
  cpus: 2,
  commandLine: ['console=ttyS0', 'nokaslr', 'panic=-1', 'loglevel=7'],
  kgdb: false,
  network: false,
};

describe('the boot snapshot key', () => {
  const key = bootSnapshotKey(shape);

  it.each<[string, Partial<BootShape>]>([
    ['another kernel', { kernel: { key: 'k2' } }],
    ['another rootfs', { rootfs: { kind: 'initramfs', key: 'r2' } }],
    ['another rootfs kind', { rootfs: { kind: 'debian', key: 'r1' } }],
    ['another QEMU binary of the same version', { qemu: { ...shape.qemu, sha256: 'q2' } }],
    ['another QEMU version', { qemu: { ...shape.qemu, version: 'QEMU emulator version 8.1.2' } }],
    ['other firmware', { qemu: { ...shape.qemu, firmwareDirs: ['/opt/fw'] } }],
    ['another accelerator', { accel: 'kvm' }],
    ['another memory size', { memory: '4G' }],
    ['another CPU count', { cpus: 4 }],
    ['another architecture', { arch: 'arm64' }],
    ['a command-line word more', { commandLine: [...shape.commandLine, 'init_on_free=1'] }],
    ['a KGDB line', { kgdb: true }],
    ['user networking', { network: true }],
  ])('changes with %s', (_, change) => {
    expect(bootSnapshotKey({ ...shape, ...change })).not.toBe(key);
  });

  it("is the same for every lab's ssh key: a restored guest is given its own", () => {
    const withKey = (k: string) => ({ ...shape, commandLine: ['root=/dev/vda', `lab.ssh_key=${k}`, 'rw'] });
    expect(bootSnapshotKey(withKey('QUFB'))).toBe(bootSnapshotKey(withKey('QkJC')));
    expect(bootSnapshotKey(withKey('QUFB'))).not.toBe(key);
  });
});

describe('restore or boot', () => {
  it('restores a snapshot that exists, onto a disk that starts clean', () => {
    expect(planStart({ forceBoot: false, snapshotExists: true, diskKept: false })).toEqual({ kind: 'restore' });
  });

  it('boots and saves when there is none', () => {
    expect(planStart({ forceBoot: false, snapshotExists: false, diskKept: false })).toEqual({
      kind: 'boot',
      save: true,
    });
  });

  it('boots when asked (--boot), saving only what is missing', () => {
    expect(planStart({ forceBoot: true, snapshotExists: true, diskKept: false })).toEqual({
      kind: 'boot',
      save: false,
    });
    expect(planStart({ forceBoot: true, snapshotExists: false, diskKept: false })).toEqual({
      kind: 'boot',
      save: true,
    });
  });

  it("boots onto a disk that keeps the last session's files, says why, and saves nothing of it", () => {
    const kept = planStart({ forceBoot: false, snapshotExists: true, diskKept: true });
    expect(kept).toMatchObject({ kind: 'boot', save: false, why: expect.stringContaining('--fresh') });
    expect(planStart({ forceBoot: false, snapshotExists: false, diskKept: true })).toEqual({
      kind: 'boot',
      save: false,
    });
  });
});

describe('the overlay of a restore', () => {
  it('puts the overlay on the snapshot disk as qcow2, on the image as raw', () => {
    expect(overlayCommand('qemu-img', '/s/snap/disk.qcow2', '/l/vm/disk.qcow2', 'qcow2').args).toEqual([
      'create',
      '-q',
      '-f',
      'qcow2',
      '-F',
      'qcow2',
      '-b',
      '/s/snap/disk.qcow2',
      '/l/vm/disk.qcow2',
    ]);
    expect(overlayCommand('qemu-img', '/s/rootfs.ext4', '/l/vm/disk.qcow2').args).toContain('raw');
  });
});

describe("the agent's resume request", () => {
  it('passes digits and hex as they are, in one line', () => {
    expect(resumeRequest('a1', ['1796631960', '250000000', 'c0ffee'])).toBe(
      '\na1 resume 1796631960 250000000 c0ffee\n',
    );
  });

  it('refuses any word a shell would touch', () => {
    for (const word of ['$(reboot)', 'A', '1 2', '', '*', '-1']) {
      expect(() => resumeRequest('a1', ['1', word])).toThrow('digits and lowercase hex');
    }
  });
});
