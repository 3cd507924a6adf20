import { describe, expect, it } from 'vitest';
import {
  bootSnapshotKey,
  machineOf,
  planStart,
  sharedStartKey,
  type BootShape,
  type SharedStartId,
} from '../../src/vm/boot-snapshot-key.js';
import { runStartOf } from '../../src/lab/same-start.js';
import type { VmState } from '../../src/vm/state.js';
import { qemuArgs, type QemuPlan } from '../../src/qemu/args.js';
import { overlayCommand } from '../../src/qemu/overlay.js';
import { resumeRequest } from '../../src/guest/agent-protocol.js';
import { checkMomentName, momentNode, readMoments } from '../../src/vm/moments.js';
import { labPaths } from '../../src/config/paths.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/cli.js';

const plan: Omit<QemuPlan, 'incomingFd'> = {
  arch: 'x86_64',
  kernel: '/store/kernels/k1/bzImage',
  initrd: '/store/rootfs/r1/initramfs.cpio',
  accel: 'tcg',
  memory: '2G',
  cpus: 2,
  gdbPort: 4321,
  serialLog: '/lab/.lab/vm/serial.log',
  consoleSocket: '/lab/.lab/vm/console.sock',
  agentSocket: '/lab/.lab/vm/agent.sock',
  qmpSocket: '/lab/.lab/vm/qmp.sock',
  pidFile: '/lab/.lab/vm/qemu.pid',
};

const shape = (change: Partial<Omit<QemuPlan, 'incomingFd'>> = {}, ids: Partial<BootShape> = {}): BootShape => ({
  kernel: { key: 'k1' },
  rootfs: { kind: 'initramfs', key: 'r1' },
  qemu: { version: 'QEMU emulator version 7.2.22', sha256: 'q1', firmwareDirs: [] },
  machine: machineOf({ ...plan, ...change }),
  ...ids,
});

describe('the boot snapshot key', () => {
  const key = bootSnapshotKey(shape());

  it.each<[string, Partial<BootShape>]>([
    ['another kernel', { kernel: { key: 'k2' } }],
    ['another rootfs', { rootfs: { kind: 'initramfs', key: 'r2' } }],
    ['another rootfs kind', { rootfs: { kind: 'debian', key: 'r1' } }],
    ['another QEMU binary of the same version', { qemu: { ...shape().qemu, sha256: 'q2' } }],
    ['another QEMU version', { qemu: { ...shape().qemu, version: 'QEMU emulator version 8.1.2' } }],
    ['other firmware', { qemu: { ...shape().qemu, firmwareDirs: ['/opt/fw'] } }],
  ])('changes with %s', (_, ids) => {
    expect(bootSnapshotKey(shape({}, ids))).not.toBe(key);
  });

  it.each<[string, Partial<Omit<QemuPlan, 'incomingFd'>>]>([
    ['another accelerator', { accel: 'kvm' }],
    ['another memory size', { memory: '4G' }],
    ['another CPU count', { cpus: 4 }],
    ['another architecture', { arch: 'arm64' }],
    ['a command-line word more', { append: ['init_on_free=1'] }],
    ['a KGDB line', { kgdbPort: 4000 }],
    ['user networking', { sshPort: 2222 }],
    ['a disk', { disk: '/lab/.lab/vm/disk.qcow2' }],
  ])('changes with %s', (_, change) => {
    expect(bootSnapshotKey(shape(change))).not.toBe(key);
  });

  it('is the same in every lab: other paths, ports and ssh key (a restored guest is given its own)', () => {
    const elsewhere = {
      gdbPort: 5555,
      serialLog: '/other/.lab/vm/serial.log',
      consoleSocket: '/other/.lab/vm/console.sock',
      agentSocket: '/other/.lab/vm/agent.sock',
      qmpSocket: '/other/.lab/vm/qmp.sock',
      pidFile: '/other/.lab/vm/qemu.pid',
    };
    expect(bootSnapshotKey(shape(elsewhere))).toBe(key);
    const withKey = (k: string) => shape({ sshPort: 2222, append: ['root=/dev/vda', `lab.ssh_key=${k}`, 'rw'] });
    const otherPort = shape({ sshPort: 3333, append: ['root=/dev/vda', 'lab.ssh_key=QkJC', 'rw'] });
    expect(bootSnapshotKey(withKey('QUFB'))).toBe(bootSnapshotKey(otherPort));
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

describe('named moments', () => {
  it('are kept with the disk where there is one, else in the moments disk', () => {
    expect(momentNode(true)).toBe('disk');
    expect(momentNode(false)).toBe('moments');
  });

  it('have names a QEMU tag and a file name can carry', () => {
    expect(checkMomentName('fragmented-1.5')).toBe('fragmented-1.5');
    for (const bad of ['', '-x', 'a b', 'a/b', '../x', 'x'.repeat(65), 'a,b']) {
      expect(() => checkMomentName(bad)).toThrow('is not a moment name');
    }
  });

  it('name their block nodes on the command line, commas in paths doubled, and -loadvm last', () => {
    const args = qemuArgs({
      ...plan,
      initrd: undefined,
      disk: '/lab,1/.lab/vm/disk.qcow2',
      momentsDisk: '/lab,1/.lab/vm/moments.qcow2',
      loadvm: 'm1',
    });
    expect(args).toContain('file=/lab,,1/.lab/vm/disk.qcow2,format=qcow2,if=virtio,node-name=disk');
    expect(args).toContain(
      'driver=qcow2,node-name=moments,file.driver=file,file.filename=/lab,,1/.lab/vm/moments.qcow2',
    );
    expect(args.slice(-2)).toEqual(['-loadvm', 'm1']);
  });
});

describe("the lab's list of moments", () => {
  it('is empty without a file, and a damaged one is one STATE_CORRUPT line', async () => {
    const paths = labPaths(tempDir('moments-list'));
    expect(await readMoments(paths)).toEqual([]);
    mkdirSync(paths.vmDir, { recursive: true });
    writeFileSync(paths.moments, JSON.stringify([{ name: 'x', savedAt: 1 }]));
    await expect(readMoments(paths)).rejects.toMatchObject({ code: 'STATE_CORRUPT' });
  });
});

describe("a scenario's start moment in the store (matrix jobs with sameStart)", () => {
  const id = { scenario: 'manual', sha256: 'a'.repeat(64), moment: 'manual-fragmented', after: 2 };
  const key = sharedStartKey('boot1', id);

  it.each<[string, string, SharedStartId]>([
    ['another machine (its boot snapshot key)', 'boot2', id],
    ['another scenario file', 'boot1', { ...id, sha256: 'b'.repeat(64) }],
    ['another scenario', 'boot1', { ...id, scenario: 'proactive' }],
    ['more steps before the moment', 'boot1', { ...id, after: 3 }],
    ['another moment name', 'boot1', { ...id, moment: 'other' }],
  ])('is another entry with %s', (_, boot, other) => {
    expect(sharedStartKey(boot, other)).not.toBe(key);
  });

  it('is the same entry for the same machine and scenario, and never a boot snapshot', () => {
    expect(sharedStartKey('boot1', { ...id })).toBe(key);
    expect(key).not.toBe(bootSnapshotKey(shape()));
  });

  it('is what a run started there names in its manifest, and nothing for any other start', () => {
    const state = (start: VmState['start']) => ({ start }) as VmState;
    const at = { from: 'start', snapshot: key, moment: 'manual-fragmented', savedAt: '2026-12-07T15:00:00Z' } as const;
    expect(runStartOf(state(at))).toEqual({ moment: 'manual-fragmented', savedAt: '2026-12-07T15:00:00Z' });
    expect(runStartOf(state({ from: 'snapshot', snapshot: key }))).toBeUndefined();
    expect(runStartOf(state(undefined))).toBeUndefined();
  });
});
