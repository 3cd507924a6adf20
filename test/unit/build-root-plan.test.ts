import { describe, expect, it } from 'vitest';
import { formatCommand } from '../../src/process/command.js';
import {
  BUILD_ROOT_PACKAGES,
  buildRootKeyInputs,
  mmdebstrapRootCommand,
  pinList,
  rootArchitectures,
  rootPackages,
  sandboxArgs,
  unpackRootCommand,
} from '../../src/toolchain/build-root-plan.js';
import { parseRelease, rootSource, snapshotMirror, snapshotTimestamp } from '../../src/toolchain/suite-snapshot.js';
import { keyOf } from '../../src/util/hash.js';

const BOOKWORM_INRELEASE = `-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA256

Origin: Debian
Label: Debian
Suite: oldstable
Version: 12.15
Codename: bookworm
Changelogs: https://metadata.ftp-master.debian.org/changelogs/@CHANGEPATH@_changelog
Date: Sat, 11 Jul 2026 10:16:37 UTC
Acquire-By-Hash: yes
No-Support-for-Architecture-all: Packages
Architectures: all amd64 arm64 armel armhf i386 mips64el mipsel ppc64el s390x
Components: main contrib non-free-firmware non-free
Description: Debian 12.15 Released 11 July 2026
MD5Sum:
 0ed6d4c8891eb86358b94bb35d9e4da4  1484322 contrib/Contents-all
Date: Mon, 1 Jan 2001 00:00:00 UTC
`;

describe('the build root as data', () => {
  it('is keyed by suite and name=version, whatever order the versions were read in', () => {
    const a = buildRootKeyInputs({ suite: 'bookworm', packages: { 'gcc-12': '12.2.0-14+deb12u1', make: '4.3-4.1' } });
    const b = buildRootKeyInputs({ suite: 'bookworm', packages: { make: '4.3-4.1', 'gcc-12': '12.2.0-14+deb12u1' } });
    expect(a.packages).toEqual(['gcc-12=12.2.0-14+deb12u1', 'make=4.3-4.1']);
    expect(keyOf(a)).toBe(keyOf(b));
    expect(keyOf(a)).not.toBe(keyOf(buildRootKeyInputs({ suite: 'bookworm', packages: { make: '4.3-4.2' } })));
    expect(keyOf(a)).not.toBe(
      keyOf(buildRootKeyInputs({ suite: 'trixie', packages: { 'gcc-12': '12.2.0-14+deb12u1', make: '4.3-4.1' } })),
    );
  });

  it('refuses pins that are not Debian names and versions: they reach apt', () => {
    expect(pinList({ 'libc6-dev': '2.36-9+deb12u14', bison: '2:3.8.2+dfsg-1+b1' })).toEqual([
      'bison=2:3.8.2+dfsg-1+b1',
      'libc6-dev=2.36-9+deb12u14',
    ]);
    expect(() => pinList({ '?essential': '1' })).toThrow(/not a Debian package=version: \?essential=1/);
    expect(() => pinList({ gcc: '1 /tmp/x.deb' })).toThrow(/LOCK|not a Debian/);
  });

  it("reads a suite's point release from its InRelease header, not from the file list", () => {
    expect(parseRelease(BOOKWORM_INRELEASE)).toEqual({
      codename: 'bookworm',
      version: '12.15',
      date: 'Sat, 11 Jul 2026 10:16:37 UTC',
    });
    expect(() => parseRelease('<html>captive portal</html>')).toThrow(/without a Codename and a Date/);
  });

  it('names a moment as snapshot.debian.org does, and refuses anything else in its URL', () => {
    expect(snapshotTimestamp(new Date('2026-07-11T10:16:37.250Z'))).toBe('20260711T101637Z');
    expect(snapshotMirror('20260711T101637Z')).toBe('http://snapshot.debian.org/archive/debian/20260711T101637Z/');
    expect(() => snapshotMirror('latest/../../x')).toThrow(/not a snapshot.debian.org timestamp/);
  });

  it('takes the mirror while it is at the pinned point release, snapshot.debian.org once it moved on', () => {
    const live = parseRelease(BOOKWORM_INRELEASE);
    const mirror = 'http://deb.debian.org/debian';
    expect(rootSource({ mirror, live })).toEqual({ mirror, aptopts: [], from: 'mirror' });
    const pinned = { release: 'Sat, 11 Jul 2026 10:16:37 UTC', snapshot: '20261201T000000Z' };
    expect(rootSource({ mirror, live, pinned }).from).toBe('mirror');
    const moved = rootSource({
      mirror,
      live: { ...live, version: '12.16', date: 'Sat, 5 Sep 2026 10:00:00 UTC' },
      pinned,
    });
    expect(moved).toEqual({
      mirror: 'http://snapshot.debian.org/archive/debian/20261201T000000Z/',
      aptopts: ['Acquire::Check-Valid-Until "false"'],
      from: 'snapshot',
    });
  });

  it('makes the root with mmdebstrap as a tarball: unshare without root, the host left out', () => {
    const c = mmdebstrapRootCommand('/s/tmp/root.tar', {
      suite: 'bookworm',
      mirror: 'http://snapshot.debian.org/archive/debian/20261201T000000Z/',
      aptopts: ['Acquire::Check-Valid-Until "false"'],
      asRoot: false,
      epoch: 1_700_000_000,
    });
    expect(c.program).toBe('mmdebstrap');
    expect(c.args.slice(0, 6)).toEqual([
      '--mode=unshare',
      '--variant=buildd',
      '--format=tar',
      '--architectures=amd64',
      '--components=main',
      `--include=${BUILD_ROOT_PACKAGES.join(',')}`,
    ]);
    expect(c.args).toContain('--aptopt=Acquire::Check-Valid-Until "false"');
    expect(c.args).toContain('--customize-hook=rm -f "$1/etc/hostname" "$1/etc/resolv.conf"');
    expect(c.args).toContain('--customize-hook=mkdir -p "$1/lab/linux" "$1/lab/build" "$1/lab/in" "$1/lab/out"');
    expect(c.args.slice(-3)).toEqual([
      'bookworm',
      '/s/tmp/root.tar',
      'http://snapshot.debian.org/archive/debian/20261201T000000Z/',
    ]);
    expect(c.env?.SOURCE_DATE_EPOCH).toBe('1700000000');
    expect(BUILD_ROOT_PACKAGES).toEqual(expect.arrayContaining(['flex', 'bison', 'bc', 'libelf-dev', 'libssl-dev']));
    expect(BUILD_ROOT_PACKAGES).toContain('busybox-static');
    expect(mmdebstrapRootCommand('/t', { suite: 'bookworm', mirror: 'm', asRoot: true, epoch: 1 }).args[0]).toBe(
      '--mode=root',
    );
  });

  it('a cross root for arm64 adds the cross compiler and arm64 busybox; a native root is unchanged', () => {
    expect(rootPackages('x86_64', 'x86_64')).toEqual(BUILD_ROOT_PACKAGES);
    expect(rootArchitectures('x86_64', 'x86_64')).toEqual(['amd64']);
    const cross = rootPackages('arm64', 'x86_64');
    expect(cross).toEqual(expect.arrayContaining(['gcc-aarch64-linux-gnu', 'libc6-dev-arm64-cross']));
    expect(cross).toContain('busybox-static:arm64');
    expect(cross).not.toContain('busybox-static');
    expect(rootArchitectures('arm64', 'x86_64')).toEqual(['amd64', 'arm64']);
    // on an arm64 host the cross root builds x86_64
    const onArm = rootPackages('x86_64', 'arm64');
    expect(onArm).toEqual(expect.arrayContaining(['gcc-x86-64-linux-gnu', 'busybox-static:amd64']));
    const c = mmdebstrapRootCommand('/t', {
      suite: 'bookworm',
      mirror: 'm',
      asRoot: true,
      epoch: 0,
      architectures: rootArchitectures('arm64', 'x86_64'),
      packages: cross,
    });
    expect(c.args).toContain('--architectures=amd64,arm64');
    expect(c.args).toContain(`--include=${cross.join(',')}`);
  });

  it("a cross root's key names its target, and a foreign package pins as name:arch", () => {
    const packages = { 'busybox-static:arm64': '1:1.35.0-4+deb12u1+b1', gcc: '4:12.2.0-3' };
    expect(pinList(packages)).toEqual(['busybox-static:arm64=1:1.35.0-4+deb12u1+b1', 'gcc=4:12.2.0-3']);
    const native = keyOf(buildRootKeyInputs({ suite: 'bookworm', packages }));
    expect(keyOf(buildRootKeyInputs({ suite: 'bookworm', packages, target: 'arm64' }))).not.toBe(native);
    expect(keyOf(buildRootKeyInputs({ suite: 'bookworm', packages, arch: 'amd64' }))).toBe(native);
    expect(() => pinList({ 'busybox:arm64:x': '1' })).toThrow(/not a Debian package=version/);
  });

  it('unpacks the root as the user, with no device nodes', () => {
    expect(formatCommand(unpackRootCommand('/s/tmp/root.tar', '/s/tmp/tree'))).toBe(
      "tar -xf /s/tmp/root.tar -C /s/tmp/tree --no-same-owner '--exclude=./dev/*'",
    );
  });

  it("runs a command inside the root: read-only root, fixed paths, only lab's environment", () => {
    const make = {
      program: 'make' as const,
      args: ['-C', '/lab/linux', 'O=/lab/build', 'ARCH=x86_64', '-j2', 'bzImage'],
      cwd: '/lab/build',
      env: { KBUILD_BUILD_USER: 'lab' },
      what: 'make bzImage',
    };
    const args = sandboxArgs(make, {
      root: '/store/roots/k/tree',
      binds: [
        { from: '/store/sources/s', to: '/lab/linux' },
        { from: '/store/tmp/kbuild-1', to: '/lab/build', writable: true },
      ],
      asRoot: false,
    });
    const words = args.join(' ');
    expect(args.slice(0, 5)).toEqual(['--unshare-user', '--uid', '0', '--gid', '0']);
    expect(words).toContain('--unshare-net --unshare-uts --hostname lab');
    expect(words).toContain('--ro-bind /store/roots/k/tree / --dev /dev --proc /proc --tmpfs /tmp');
    expect(words).toContain('--ro-bind /store/sources/s /lab/linux --bind /store/tmp/kbuild-1 /lab/build');
    // the environment is cleared, then set: PATH and the rest of ROOT_BASE_ENV, then the command's, sorted
    expect(words).toContain(
      '--clearenv --setenv HOME /tmp --setenv KBUILD_BUILD_USER lab --setenv LC_ALL C ' +
        '--setenv PATH /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --setenv TZ UTC',
    );
    expect(args.slice(args.indexOf('--chdir'))).toEqual([
      '--chdir',
      '/lab/build',
      '--',
      'make',
      '-C',
      '/lab/linux',
      'O=/lab/build',
      'ARCH=x86_64',
      '-j2',
      'bzImage',
    ]);
    expect(sandboxArgs(make, { root: '/r', binds: [], asRoot: true })[0]).toBe('--unshare-pid');
  });

  it('refuses relative paths and binds the root has no mount point for', () => {
    const c = { program: 'gcc' as const, args: [], what: 'gcc' };
    expect(() => sandboxArgs(c, { root: 'tree', binds: [], asRoot: false })).toThrow(/absolute: tree/);
    expect(() => sandboxArgs(c, { root: '/r', binds: [{ from: '/h', to: '/etc' }], asRoot: false })).toThrow(
      /no mount point in the root for \/etc/,
    );
  });
});
