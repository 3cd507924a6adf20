import path from 'node:path';
import { projectRoot } from '../../src/config/paths.js';
import { describe, expect, it } from 'vitest';
import { listProfiles, loadProfile, parseProfile } from '../../src/config/profile.js';
import { selectKernel, sourceFromFlag, type PathKind } from '../../src/config/resolve.js';
import { LabError } from '../../src/errors.js';

const kinds =
  (map: Record<string, PathKind>) =>
  (p: string): PathKind =>
    map[p] ?? (p.includes('kernel-configs') ? 'file' : 'missing');

describe('profiles', () => {
  it("ships 6.6 (default, kernel.org), debian, 6.12 (a .deb in Debian's pool) and qemu10", () => {
    expect(listProfiles()).toEqual(['6.12', '6.6', 'debian', 'qemu10']);
    expect(loadProfile('6.12').kernel.source).toMatchObject({
      kind: 'deb',
      member: 'usr/src/linux-source-6.12.tar.xz',
      sha256: 'e849faf31ca3555757f3a8877cb01af92122f744f75d1f3102734651c4e14703',
    });
    const p = loadProfile('6.6');
    expect(p.kernel.source).toMatchObject({
      kind: 'url',
      url: 'https://cdn.kernel.org/pub/linux/kernel/v6.x/linux-6.6.tar.xz',
      sha256: 'd926a06c63dd8ac7df3f86ee1ffc2ce2a3b81a2d168484e76b5b389aba8e56d0',
    });
    expect(p.kernel.source.kind === 'url' && p.kernel.source.mirrors.length).toBeGreaterThan(0);
    expect(p.qemu.source).toMatchObject({ sha256: '541526a764576eb494d2ff5ec46aeb253e62ea29035d1c23c0a8af4e6cd4f087' });
    expect(p.fallback).toBe('debian');
    expect(loadProfile('debian').kernel.source).toMatchObject({
      kind: 'deb',
      sha256: '5259c57ca92092da39bd2ea803046da0e3c28f2b6a11ea20f6297468188ceb67',
      member: 'usr/src/linux-source-6.1.tar.xz',
    });
  });

  it('names the choices for an unknown profile', () => {
    try {
      loadProfile('5.4');
      expect.fail('did not throw');
    } catch (err) {
      expect((err as LabError).line()).toBe('no profile named "5.4": choose one of 6.12, 6.6, debian, qemu10');
    }
  });

  it('names the file and the key of a bad profile', () => {
    const bad = JSON.stringify({
      name: 'x',
      kernel: { source: { kind: 'url', url: 'https://x/y.tar.xz', sha256: 'abc' } },
      qemu: { use: 'system' },
    });
    expect(() => parseProfile(bad, 'p.json')).toThrow(
      /p\.json: kernel\.source\.sha256: a sha256 is 64 lowercase hex digits/,
    );
    const extra = JSON.stringify({
      name: 'x',
      kernel: { source: { kind: 'dir', path: '/x' } },
      qemu: { use: 'system' },
      colour: 1,
    });
    expect(() => parseProfile(extra, 'p.json')).toThrow(/p\.json: .*colour/);
  });
});

describe('kernel selection', () => {
  const profile = loadProfile('6.6');

  it('takes the profile as it is without flags', () => {
    const s = selectKernel(profile, {}, kinds({}));
    expect(s.source).toEqual(profile.kernel.source);
    expect(s.base).toBe('tinyconfig');
    expect(s.fragments.map((f) => path.basename(f))).toEqual(['lab.config', 'systemd.config']);
    expect(s.explicitSource).toBe(false);
  });

  it('overrides the source by a tarball, a directory or a URL with its sha256', () => {
    expect(sourceFromFlag('/src/linux.tar.xz', undefined, kinds({ '/src/linux.tar.xz': 'file' }))).toEqual({
      kind: 'file',
      path: '/src/linux.tar.xz',
    });
    expect(sourceFromFlag('/src/linux', undefined, kinds({ '/src/linux': 'dir' }))).toEqual({
      kind: 'dir',
      path: '/src/linux',
    });
    const sha = 'a'.repeat(64);
    expect(sourceFromFlag('https://example.org/l.tar.xz', sha, kinds({}))).toEqual({
      kind: 'url',
      url: 'https://example.org/l.tar.xz',
      sha256: sha,
      mirrors: [],
    });
    const s = selectKernel(profile, { kernelSource: '/src/linux' }, kinds({ '/src/linux': 'dir' }));
    expect(s.explicitSource).toBe(true);
  });

  it('refuses a URL without a sha256, a bad sha256 and a missing path, each in one line', () => {
    const attempt = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(LabError);
        expect((err as LabError).line()).not.toContain('\n');
        return (err as LabError).line();
      }
      throw new Error('did not throw');
    };
    expect(attempt(() => sourceFromFlag('https://example.org/l.tar.xz', undefined, kinds({})))).toMatch(
      /needs its sha256.*--kernel-sha256/,
    );
    expect(attempt(() => sourceFromFlag('https://example.org/l.tar.xz', 'xyz', kinds({})))).toMatch(
      /"xyz" is not a sha256/,
    );
    expect(attempt(() => sourceFromFlag('/nope', undefined, kinds({})))).toMatch(/\/nope does not exist/);
  });

  it('makes a --config file the base, sanitised, and keeps the lab fragments on top', () => {
    const s = selectKernel(profile, { config: '/home/me/my.config' }, kinds({ '/home/me/my.config': 'file' }));
    expect(s.base).toEqual({ file: '/home/me/my.config' });
    expect(s.fragments.map((f) => path.basename(f))).toEqual(['foreign.config', 'lab.config', 'systemd.config']);
    expect(() => selectKernel(profile, { config: '/none' }, kinds({}))).toThrow(/--config \/none is not a file/);
  });

  it('takes a --fragment from here when it is a file here, else from kernel-configs/', () => {
    const here = path.resolve('extra.config');
    const s = selectKernel(profile, { fragments: ['extra.config', 'lab.config'] }, kinds({ [here]: 'file' }));
    expect(s.fragments).toEqual([here, path.join(projectRoot(), 'kernel-configs', 'lab.config')]);
    expect(() => selectKernel(profile, { fragments: ['none.config'] }, () => 'missing')).toThrow(
      /config fragment .*none\.config does not exist/,
    );
  });
});
