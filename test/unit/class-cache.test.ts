/**
 * The class cache as data: a store entry's file list (one text per entry,
 * checked against lab.lock before it is read, then path by path), where a
 * cache is, and when lab may fetch the lab rather than build it.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheFile, cacheLocation } from '../../src/cache/location.js';
import {
  cacheLayout,
  entryPathProblem,
  manifestDigest,
  manifestText,
  parseManifest,
  type Manifest,
} from '../../src/cache/manifest.js';
import { flagsLeaveTheLab, lockBehindLabFile } from '../../src/lab/fetch-lab.js';
import { compareLocks, labSame, lockText, parseLock, type LabLock } from '../../src/lock/lock.js';
import { sha256 } from '../../src/util/hash.js';
import { labError } from '../helpers/lab-error.js';

const KEY = '0123456789abcdef0123456789abcdef';
const h = (c: string) => c.repeat(64);

function manifest(files: Manifest['files'] = []): Manifest {
  return {
    entry: `kernels/${KEY}`,
    files: files.length
      ? files
      : [
          { path: 'vmlinux', size: 10, mode: '644', sha256: h('a') },
          { path: 'scripts/gdb/linux/utils.py', size: 3, mode: '644', sha256: h('b') },
          { path: 'bzImage', size: 7, mode: '644', sha256: h('c') },
        ],
  };
}

/** A forged file list: its text pinned as it is, so only the path checks can refuse it. */
function pinnedText(files: unknown[], entry = `kernels/${KEY}`) {
  const text = JSON.stringify({ format: 'lab-cache-entry/1', entry, files });
  return { text, pin: { entry: `kernels/${KEY}`, files: sha256(text) } };
}

describe('a store entry file list', () => {
  it('is one text whatever order its files were listed in, and parses back against its pin', () => {
    const m = manifest();
    const reversed = { ...m, files: [...m.files].reverse() };
    expect(manifestText(m)).toBe(manifestText(reversed));
    expect(manifestText(m).indexOf('bzImage')).toBeLessThan(manifestText(m).indexOf('vmlinux'));
    const pin = { entry: m.entry, files: manifestDigest(m) };
    expect(parseManifest(manifestText(m), pin, 'c').files.map((f) => f.path)).toEqual([
      'bzImage',
      'scripts/gdb/linux/utils.py',
      'vmlinux',
    ]);
  });

  it('is refused, by name, when its sha256 is not the pin: before a byte of it is parsed', () => {
    const m = manifest();
    const pin = { entry: m.entry, files: manifestDigest(m) };
    const forged = manifestText(m).replace('"size": 10', '"size": 11');
    const err = labError(() => parseManifest(forged, pin, 'http://c/ kernels/x'));
    expect(err.code).toBe('CACHE_REFUSED');
    expect(err.message).toMatch(/^http:\/\/c\/ kernels\/x: its file list has sha256 [0-9a-f]{12}…, lab\.lock pins/);
    expect(labError(() => parseManifest('not json', { ...pin, files: sha256('not json') }, 'c')).message).toBe(
      'c: its file list is not JSON',
    );
  });

  it.each([
    ['has a ".." segment', '../etc/passwd'],
    ['is absolute', '/etc/passwd'],
    ['has a "" segment', 'a//b'],
    ['has a "." segment', 'a/./b'],
    ['holds a control character or a backslash', '\u001b]0;owned\u0007'],
    ['holds a control character or a backslash', 'a\\..\\b'],
    ['has a name longer than 255 characters', 'x'.repeat(256)],
    ['is empty or too long', ''],
  ])('keeps every path inside the entry: a path that %s', (problem, p) => {
    expect(entryPathProblem(p)).toBe(problem);
    const { text, pin } = pinnedText([{ path: p, size: 1, mode: '644', sha256: h('a') }]);
    expect(labError(() => parseManifest(text, pin, 'c')).message).toBe(`c: a path in its file list ${problem}`);
  });

  it('refuses a path named twice, a path that is a file and a folder, another entry, and 32 GiB', () => {
    const file = (p: string, size = 1) => ({ path: p, size, mode: '644', sha256: h('a') });
    const cases: Array<[unknown[], string]> = [
      [[file('a'), file('a')], 'c: its file list names a twice'],
      [[file('a'), file('a/b')], 'c: its file list has a as a file and as a folder'],
      [[file('a', 2 ** 34), file('b', 2 ** 34 + 1)], 'c: its files add up to more than 32 GiB'],
    ];
    for (const [files, message] of cases) {
      const { text, pin } = pinnedText(files);
      expect(labError(() => parseManifest(text, pin, 'c')).message).toBe(message);
    }
    const other = pinnedText([file('a')], `rootfs/${KEY}`);
    expect(labError(() => parseManifest(other.text, other.pin, 'c')).message).toBe(
      `c: its file list is for rootfs/${KEY}, lab.lock pins kernels/${KEY}`,
    );
    const mode = pinnedText([{ ...file('a'), mode: '4755' }]);
    expect(labError(() => parseManifest(mode.text, mode.pin, 'c')).message).toBe(
      'c: its file list is not lab-cache-entry/1',
    );
  });

  it('is kept content-addressed: a file by its sha256, a list by its entry', () => {
    expect(cacheLayout.file(h('a'))).toBe(`files/aa/${h('a')}`);
    expect(cacheLayout.manifest(`kernels/${KEY}`)).toBe(`entries/kernels/${KEY}.json`);
  });
});

describe("lab.json's cache", () => {
  it('is an http(s) URL or a folder relative to lab.json, and anything else is one line', () => {
    expect(cacheLocation('https://class.example/lab', '/c')).toEqual({
      kind: 'url',
      base: 'https://class.example/lab/',
    });
    expect(cacheLocation('http://127.0.0.1:8080/', '/c')).toEqual({ kind: 'url', base: 'http://127.0.0.1:8080/' });
    expect(cacheLocation('../cache', '/srv/course')).toEqual({ kind: 'dir', dir: '/srv/cache' });
    expect(cacheFile(cacheLocation('https://class.example/lab', '/c'), 'files/aa/x')).toBe(
      'https://class.example/lab/files/aa/x',
    );
    expect(cacheFile({ kind: 'dir', dir: '/srv/cache' }, 'files/aa/x')).toBe(path.join('/srv/cache', 'files/aa/x'));
    const ftp = labError(() => cacheLocation('ftp://class.example/lab', '/c'));
    expect(ftp.code).toBe('LAB_FILE_INVALID');
    expect(ftp.message).toBe('the class cache "ftp://class.example/lab" is not https or http (it is ftp)');
    expect(labError(() => cacheLocation('https://u:p@class.example/', '/c')).message).toMatch(/user name or password/);
  });
});

function lock(entries?: LabLock['entries']): LabLock {
  return {
    lockVersion: 3,
    lab: 'course',
    inputs: {
      kernelSource: h('1'),
      kernelBase: 'tinyconfig',
      fragments: { 'lab.config': h('2'), 'systemd.config': h('3') },
      patches: [],
      kernelConfig: h('4'),
      compiler: 'gcc 12.2.0',
      qemu: 'QEMU 7.2',
      gdb: 'GNU gdb 13.1',
      rootfs: 'debian',
      guestPackages: { 'stress-ng': '0.15.06-2' },
    },
    outputs: { bzImage: h('5'), vmlinux: h('6') },
    ...(entries ? { entries } : {}),
  };
}

describe('lab.lock version 3', () => {
  const pins = {
    kernel: { entry: `kernels/${KEY}`, files: h('7') },
    initramfs: { entry: `rootfs/${KEY}`, files: h('8') },
  };

  it('pins whole entries in a fixed order, and verify compares them only where the pinned lock has them', () => {
    const reordered = lock({ initramfs: pins.initramfs, kernel: pins.kernel });
    expect(lockText(lock(pins))).toBe(lockText(reordered));
    expect(parseLock(lockText(lock(pins)), 'lab.lock').entries).toEqual(pins);
    expect(compareLocks(lock(pins), lock(pins)).filter((r) => r.item.endsWith(' files'))).toEqual([
      expect.objectContaining({ item: 'kernel files', same: true }),
      expect.objectContaining({ item: 'initramfs files', same: true }),
    ]);
    const other = lock({ ...pins, kernel: { ...pins.kernel, files: h('9') } });
    expect(labSame(compareLocks(lock(pins), other))).toBe(false);
    // a version 2 lock pins no entries: a machine that has them is not different for it
    expect(labSame(compareLocks(lock(), lock(pins)))).toBe(true);
    expect(() => parseLock(lockText(lock({ kernel: { entry: 'tools/x', files: h('7') } })), 'l')).toThrow(
      /kind\/key of a store entry/,
    );
  });

  it('is behind lab.json when the arch, the base, a fragment or a guest package changed since lab lock', () => {
    const wanted = {
      arch: 'x86_64',
      base: { name: 'tinyconfig' },
      fragments: [
        { name: 'systemd.config', sha256: h('3') },
        { name: 'lab.config', sha256: h('2') },
      ],
      guestPackages: ['stress-ng'],
    };
    expect(lockBehindLabFile(lock(pins), wanted)).toBeUndefined();
    expect(lockBehindLabFile(lock(pins), { ...wanted, arch: 'arm64' })).toBe('lab.lock pins x86_64');
    expect(lockBehindLabFile(lock(pins), { ...wanted, base: { name: 'defconfig' } })).toBe(
      'its base config differs from lab.lock',
    );
    expect(lockBehindLabFile(lock(pins), { ...wanted, fragments: wanted.fragments.slice(1) })).toBe(
      'its fragments differ from lab.lock',
    );
    // a package lab.json added after lab lock is in no pinned image
    const added = { ...wanted, guestPackages: ['stress-ng', 'numactl', 'htop'] };
    expect(lockBehindLabFile(lock(pins), added)).toBe("lab.lock's image has no numactl, htop");
  });

  it("is fetched only for the lab's own build: a flag that changes the kernel or QEMU builds", () => {
    expect(flagsLeaveTheLab({})).toBe(false);
    expect(flagsLeaveTheLab({ rootfs: 'initramfs', lab: 'lab.json' })).toBe(false);
    for (const flags of [
      { profile: 'debian' },
      { kernelSource: '/k.tar.xz' },
      { config: '.config' },
      { base: 'defconfig' as const },
      { fragments: ['x.config'] },
      { modules: true },
      { qemu: 'system' },
      { qemuBuild: true },
      { toolchain: 'host' as const },
    ]) {
      expect(flagsLeaveTheLab(flags), JSON.stringify(flags)).toBe(true);
    }
  });
});
