/**
 * Records lab reads back (jobs, build.json, store records, lock files) go
 * through the checked readers: a device is refused at once (/dev/zero was
 * read forever), a damaged file is one line with the table's exit code.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { labPaths } from '../../src/config/paths.js';
import { LabError } from '../../src/errors.js';
import { parseBuildRecord, readBuildRecord } from '../../src/lab/build-record.js';
import { readJobFile } from '../../src/lab/job.js';
import { JOB_VERSION, parseJob, type Job } from '../../src/matrix/job.js';
import { pinJob } from '../../src/matrix/pin.js';
import { kvmProbeKey, type KvmProbeFacts } from '../../src/qemu/kvm-probe-key.js';
import { acquireLock } from '../../src/store/entry-lock.js';
import { readStoreRecord } from '../../src/store/entry-record.js';
import { sha256File } from '../../src/util/hash.js';
import { tempDir } from '../helpers/cli.js';

const SHA = 'a'.repeat(64);

function job(over: Partial<Job> = {}): Job {
  return {
    job: JOB_VERSION,
    matrix: 'm',
    id: 'k.manual.r1',
    cell: 'k.manual',
    kernel: 'k',
    scenario: 'manual',
    repeat: 1,
    of: 1,
    build: { profile: 'debian', extraFragments: [], rootfs: 'debian' },
    vm: { memory: '2G', cpus: 2 },
    timeout: 600,
    pins: { files: { '/p/scenarios/manual.json': SHA }, kernelKey: 'k', rootfsKey: 'r', qemu: '7.2' },
    ...over,
  };
}

async function rejection(p: Promise<unknown>): Promise<LabError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof LabError)) throw new Error(`expected a LabError, got ${String(err)}`);
  return err;
}

describe('/dev/zero is refused, never read', () => {
  it('by the hash of a pinned file', async () => {
    const e = await rejection(sha256File('/dev/zero', { code: 'JOB_INVALID', what: 'a file the job pins' }));
    expect(e.message).toBe('a file the job pins (/dev/zero) is not a regular file (a device, FIFO or socket)');
    expect(e.exitCode).toBe(2);
  });

  it('as a matrix job file, and as a fragment a matrix pins', async () => {
    expect((await rejection(readJobFile('/dev/zero'))).code).toBe('JOB_INVALID');
    const unpinned = { ...job(), pins: undefined } as unknown as Job;
    const build = { profile: 'debian', extraFragments: ['/dev/zero'], rootfs: 'debian' as const };
    const e = await rejection(pinJob({ ...unpinned, build }, { kernelKey: 'k', rootfsKey: 'r', qemu: '7.2' }));
    expect(e.line()).toBe(
      'a file the matrix pins (/dev/zero) is not a regular file (a device, FIFO or socket): name a regular file',
    );
  });

  it('as a fragment a job builds with but does not pin', () => {
    const text = JSON.stringify(job({ build: { profile: 'debian', extraFragments: ['/dev/zero'], rootfs: 'debian' } }));
    expect(() => parseJob(text, '/m/jobs/k.manual.r1.json')).toThrow(
      '/m/jobs/k.manual.r1.json: pins.files: /dev/zero is read by the build but not pinned',
    );
    expect(parseJob(JSON.stringify(job()), 'j.json').id).toBe('k.manual.r1');
  });

  it('as .lab/build.json (a link to it is refused)', async () => {
    const paths = labPaths(tempDir('rec'));
    mkdirSync(paths.root, { recursive: true });
    symlinkSync('/dev/zero', paths.build);
    const e = await rejection(readBuildRecord(paths));
    expect(e.code).toBe('BUILD_RECORD_CORRUPT');
    expect(e.message).toBe(`${paths.build} is a link, not a file`);
  });
});

describe('build.json', () => {
  it('names its profile by a plain name: "../" would put lab pack\'s bundle elsewhere', () => {
    const e = (() => {
      try {
        parseBuildRecord(JSON.stringify({ profile: '../../tmp/x' }), '/l/build.json');
      } catch (err) {
        return err as LabError;
      }
    })();
    expect(e?.code).toBe('BUILD_RECORD_CORRUPT');
    expect(e?.message).toBe('/l/build.json: profile: a profile name is letters, digits, ".", "_" and "-"');
  });
});

describe('store records and locks', () => {
  it('a damaged store record is STORE_DAMAGED, naming the file, never quoting it', async () => {
    const file = path.join(tempDir('rec'), 'kvm.json');
    writeFileSync(file, 'root:secret');
    const e = await rejection(readStoreRecord(file, z.object({ usable: z.boolean() })));
    expect(e.line()).toBe(`${file} is not valid JSON: remove that entry from the store (lab makes it again)`);
    writeFileSync(file, '{"usable": "yes"}');
    expect((await rejection(readStoreRecord(file, z.object({ usable: z.boolean() })))).message).toBe(
      `${file}: usable: Invalid input: expected boolean, received string`,
    );
  });

  it('a store lock path that is a directory is STORE_LOCK_INVALID, not a raw EISDIR', async () => {
    const file = path.join(tempDir('lock'), 'entry.lock');
    mkdirSync(file);
    const e = await rejection(acquireLock(file, 'a test'));
    expect(e.line()).toBe(
      `the store lock ${file} is a directory, not a file: remove it: lab makes its lock files itself`,
    );
    expect(e.exitCode).toBe(1);
  });
});

describe('the KVM probe key', () => {
  const facts: KvmProbeFacts = {
    bootId: 'b',
    hostKernel: '6.1.0-13-amd64 #1 SMP',
    qemu: { binary: '/usr/bin/qemu-system-x86_64', version: '7.2.0', identity: '1:2:3' },
    kvm: '5:6:2588',
    boot: { kernel: '/s/bzImage', initrd: '/s/initramfs', firmwareDirs: [] },
  };

  it('changes with everything the verdict depends on, and only then', () => {
    const key = kvmProbeKey(facts);
    expect(kvmProbeKey(structuredClone(facts))).toBe(key);
    const changed: KvmProbeFacts[] = [
      { ...facts, bootId: 'c' },
      { ...facts, hostKernel: '6.1.0-14-amd64 #1 SMP' },
      { ...facts, qemu: { ...facts.qemu, identity: '1:9:3' } },
      { ...facts, qemu: { ...facts.qemu, version: '8.1.2' } },
      { ...facts, kvm: '5:7:2588' },
      { ...facts, kvm: 'missing' },
      { ...facts, boot: { ...facts.boot, kernel: '/s/other' } },
    ];
    for (const c of changed) expect(kvmProbeKey(c)).not.toBe(key);
  });
});
