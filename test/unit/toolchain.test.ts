import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/process/command.js';
import type { BuildRoot } from '../../src/toolchain/build-root.js';
import {
  HOST_TOOLCHAIN,
  inside,
  seenAt,
  kbuildTarget,
  toolchainId,
  toolchainPin,
  type Toolchain,
} from '../../src/toolchain/toolchain.js';

const root: BuildRoot = {
  key: 'ab'.repeat(32),
  suite: 'bookworm',
  target: 'x86_64',
  tree: '/store/roots/abab/tree',
  packages: { 'gcc-12': '12.2.0-14+deb12u1' },
  compiler: 'gcc (Debian 12.2.0-14+deb12u1) 12.2.0',
  cached: true,
};
const inRoot: Toolchain = { kind: 'root', root };
const make: Command = {
  program: 'make',
  args: ['-C', seenAt(inRoot, '/lab/linux', '/src'), 'O=/lab/build'],
  env: { KBUILD_BUILD_USER: 'lab' },
  what: 'make bzImage',
};

/** bwrap's argv as pairs "flag from to" where a bind is. */
function binds(args: string[]): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    if (a === '--bind' || a === '--ro-bind') out.push(`${a} ${args[i + 1]} ${args[i + 2]}`);
  });
  return out;
}

describe('the toolchain a step runs with', () => {
  it("leaves a host step as it is, paths and environment the host's", () => {
    expect(inside(HOST_TOOLCHAIN, make, { '/lab/linux': '/src' })).toBe(make);
    expect(seenAt(HOST_TOOLCHAIN, '/lab/build', '/tmp/kbuild')).toBe('/tmp/kbuild');
  });

  it('runs a root step in bwrap: the root and the source read-only, the output writable, the command last', () => {
    const c = inside(inRoot, make, { '/lab/linux': '/src', '/lab/build': '/tmp/kbuild' });
    expect(c.program).toBe('bwrap');
    expect(c.what).toBe('make bzImage (in the build root)');
    expect(binds(c.args)).toEqual([
      '--ro-bind /store/roots/abab/tree /',
      '--ro-bind /src /lab/linux',
      '--bind /tmp/kbuild /lab/build',
    ]);
    const sep = c.args.indexOf('--');
    expect(c.args.slice(sep + 1)).toEqual(['make', '-C', '/lab/linux', 'O=/lab/build']);
    // nothing of the host's environment: the root's PATH and the step's own variables only
    expect(c.args).toContain('--clearenv');
    expect(c.args).toContain('--unshare-net');
    const env = c.args.flatMap((a, i) => (a === '--setenv' ? [`${c.args[i + 1]}=${c.args[i + 2]}`] : []));
    expect(env).toContain('KBUILD_BUILD_USER=lab');
    expect(env.some((e) => e.startsWith('PATH=/usr/local/sbin'))).toBe(true);
    expect(env.some((e) => e.startsWith('CC=') || e.startsWith('MAKEFLAGS='))).toBe(false);
  });

  it('keys builds by the root, and records its suite and every package for lab.lock', async () => {
    expect(await toolchainId(inRoot)).toBe(`root:${root.key}`);
    expect(toolchainPin(inRoot)).toEqual({ kind: 'root', suite: 'bookworm', key: root.key, packages: root.packages });
    expect(toolchainPin(HOST_TOOLCHAIN)).toEqual({ kind: 'host' });
  });

  it('tells kbuild the cross compiler a cross root has, and none for a native one', () => {
    const cross: Toolchain = { kind: 'root', root: { ...root, target: 'arm64', crossCompile: 'aarch64-linux-gnu-' } };
    expect(kbuildTarget(cross, 'arm64')).toEqual({ arch: 'arm64', crossCompile: 'aarch64-linux-gnu-' });
    expect(kbuildTarget(inRoot, 'x86_64')).toEqual({ arch: 'x86_64' });
  });

  it('refuses a bind at a place the root has no mount point for', () => {
    const bad = { '/lab/linux': '/src', '/etc': '/tmp' } as unknown as Parameters<typeof inside>[2];
    expect(() => inside(inRoot, make, bad)).toThrow(/no mount point in the root for \/etc/);
  });
});
