import { execaSync } from 'execa';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCpio } from '../../src/image/cpio.js';
import { elfNeedsInterpreter } from '../../src/util/elf.js';
import { initramfsEntries, initramfsKey } from '../../src/image/initramfs.js';

describe('newc cpio writer', () => {
  const archive = writeCpio([
    { kind: 'dir', name: 'dev' },
    { kind: 'char', name: 'dev/console', major: 5, minor: 1 },
    { kind: 'file', name: 'init', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
    { kind: 'symlink', name: 'bin/sh', target: 'busybox' },
  ]);

  it('writes 4-byte aligned newc records ending in the trailer', () => {
    expect(archive.subarray(0, 6).toString()).toBe('070701');
    expect(archive.length % 4).toBe(0);
    expect(archive.includes(Buffer.from('TRAILER!!!\0'))).toBe(true);
  });

  it('is read back by a real cpio (busybox) with the right names, types and contents', () => {
    const busybox = '/bin/busybox';
    if (!existsSync(busybox))
      return expect.fail('busybox-static is needed for this test: bash scripts/install-deps.sh initramfs');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-cpio-'));
    const file = path.join(dir, 'a.cpio');
    writeFileSync(file, archive);
    const listing = execaSync(busybox, ['cpio', '-t', '-v', '-F', file]).stdout.split('\n');
    expect(
      listing.some((l) => /^crw-------.* dev\/console$/.test(l) || /^crw-------\s.*5,\s*1.*dev\/console/.test(l)),
    ).toBe(true);
    expect(listing.some((l) => /^-rwxr-xr-x.* init$/.test(l))).toBe(true);
    expect(listing.some((l) => /^lrwxrwxrwx.* bin\/sh -> busybox$/.test(l))).toBe(true);
    const out = path.join(dir, 'x');
    execaSync('sh', ['-c', `mkdir ${out} && cd ${out} && ${busybox} cpio -i -d -F ${file} init`]);
    expect(readFileSync(path.join(out, 'init'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
  });

  it('gives the same bytes for the same entries (owners root, mtimes 0)', () => {
    const again = writeCpio([{ kind: 'file', name: 'x', data: Buffer.from('1') }]);
    expect(again.equals(writeCpio([{ kind: 'file', name: 'x', data: Buffer.from('1') }]))).toBe(true);
  });
});

describe('initramfs contents', () => {
  const inputs = {
    busybox: Buffer.from('bb'),
    init: Buffer.from('init'),
    tools: { agent: Buffer.from('agent'), 'lab-exec': Buffer.from('le'), fragmenter: Buffer.from('f') },
  };

  it('holds busybox, the init, the agent and a console node', () => {
    const names = initramfsEntries(inputs).map((e) => `${e.kind}:${e.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'file:bin/busybox',
        'file:init',
        'file:lab/agent',
        'file:lab/lab-exec',
        'file:lab/fragmenter',
        'char:dev/console',
        'symlink:bin/sh',
      ]),
    );
  });

  it('is keyed by its inputs', () => {
    expect(initramfsKey(inputs)).toBe(initramfsKey({ ...inputs }));
    expect(initramfsKey(inputs)).not.toBe(
      initramfsKey({ ...inputs, tools: { ...inputs.tools, agent: Buffer.from('agent2') } }),
    );
    expect(initramfsKey(inputs)).not.toBe(
      initramfsKey({ ...inputs, tools: { ...inputs.tools, fragmenter: Buffer.from('g') } }),
    );
  });
});

describe('static busybox check', () => {
  it('tells a static executable from a dynamic one', () => {
    expect(elfNeedsInterpreter(readFileSync('/bin/ls'))).toBe(true);
    if (!existsSync('/bin/busybox'))
      return expect.fail('busybox-static is needed for this test: bash scripts/install-deps.sh initramfs');
    expect(elfNeedsInterpreter(readFileSync('/bin/busybox'))).toBe(false);
    expect(() => elfNeedsInterpreter(Buffer.from('#!/bin/sh\n'.padEnd(80)))).toThrow(/not an ELF/);
  });
});
