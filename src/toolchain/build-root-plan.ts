import path from 'node:path';
import { LabError } from '../errors.js';
import type { Command } from '../process/command.js';
import { programName } from '../process/programs.js';
import { archSpec, type Arch } from '../arch/arch.js';

/**
 * The build root as data (pure): a Debian root of the lab's suite that lab
 * builds the kernel, the fragmenter and the initramfs's busybox in, so a
 * Debian 12 host and a Debian 13 host run the same gcc, binutils and libc and
 * make the same bytes. Keyed by what is installed in it (name=version: the
 * Debian archive never serves two different .debs under one version), made
 * by mmdebstrap as a tarball, unpacked once into the store, entered with
 * bwrap: the root read-only, the source and the output at fixed paths, an
 * environment of lab's and no other.
 */
export const BUILD_ROOT_RECIPE = 'build-root-1';
export const BUILD_ROOT_ARCH = 'amd64';
/** buildd is minbase plus build-essential (gcc, make, libc6-dev for the static fragmenter). */
export const BUILD_ROOT_VARIANT = 'buildd';
/** The initramfs's busybox: static, so it runs alone. */
const BUSYBOX_PACKAGE = 'busybox-static';
/**
 * Beyond buildd: the kernel's build needs, busybox for the initramfs,
 * e2fsprogs for the image. mount and tzdata are named because mmdebstrap
 * 1.3.5 (Debian 12) installs them with buildd and 1.5.7 (Debian 13) does
 * not: named, the root is the same packages whichever host made it.
 */
export const BUILD_ROOT_PACKAGES = [
  'bc',
  'bison',
  'busybox-static',
  'cpio',
  'e2fsprogs',
  'flex',
  'kmod',
  'libelf-dev',
  'libssl-dev',
  'mount',
  'tzdata',
];
/**
 * What a root that builds for `target` on a `host` machine holds (pure): the
 * packages above, and for another architecture Debian's cross compiler and
 * that architecture's busybox-static (a foreign package: nothing runs it
 * here, the initramfs carries it). A native root is unchanged, so its key is.
 */
export function rootPackages(target: Arch, host: Arch): string[] {
  if (target === host) return BUILD_ROOT_PACKAGES;
  const t = archSpec(target);
  return [
    ...BUILD_ROOT_PACKAGES.filter((p) => p !== BUSYBOX_PACKAGE),
    `${BUSYBOX_PACKAGE}:${t.debian}`,
    ...t.cross.packages,
  ].sort();
}

/** mmdebstrap's --architectures: the host's first (native), then the target's when it is another. */
export function rootArchitectures(target: Arch, host: Arch): string[] {
  return target === host ? [archSpec(host).debian] : [archSpec(host).debian, archSpec(target).debian];
}

/** Directories the root is made with, where the sandbox mounts what a build reads and writes. */
export const ROOT_MOUNT_POINTS = ['/lab/linux', '/lab/build', '/lab/in', '/lab/out'];
/** The sandbox's whole environment before a command adds its own: nothing of the host's. */
export const ROOT_BASE_ENV: Record<string, string> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/tmp',
  LC_ALL: 'C',
  TZ: 'UTC',
};

/** A Debian package name, with ":arch" when it is another architecture's (busybox-static:arm64). */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+(?::[a-z0-9]+)?$/;
const PACKAGE_VERSION = /^[0-9A-Za-z.+~:-]+$/;

/**
 * name=version for every package, sorted: the root's identity. Names and
 * versions come from lab.lock and reach apt's argv, so anything that is not
 * a Debian name or version (an apt pattern, a path) is refused.
 */
export function pinList(packages: Record<string, string>): string[] {
  const bad = Object.entries(packages).filter(([n, v]) => !PACKAGE_NAME.test(n) || !PACKAGE_VERSION.test(v));
  if (bad.length > 0) {
    throw new LabError('LOCK_INVALID', `not a Debian package=version: ${bad.map(([n, v]) => `${n}=${v}`).join(', ')}`);
  }
  return Object.entries(packages)
    .map(([n, v]) => `${n}=${v}`)
    .sort();
}

/** What a build root is: its store key's inputs (pure). */
export function buildRootKeyInputs(i: {
  suite: string;
  packages: Record<string, string>;
  arch?: string;
  /** The architecture it builds for, when not its own. */
  target?: string;
}) {
  return {
    kind: 'build-root',
    suite: i.suite,
    arch: i.arch ?? BUILD_ROOT_ARCH,
    target: i.target,
    packages: pinList(i.packages),
    recipe: BUILD_ROOT_RECIPE,
  };
}

/**
 * mmdebstrap's root, as a tarball: a directory made in unshare mode would be
 * owned by the subordinate uids, which the user can neither read nor remove.
 * The host's hostname and resolv.conf are left out, so the tarball is the
 * same bytes anywhere (SOURCE_DATE_EPOCH does the rest).
 */
export function mmdebstrapRootCommand(
  tarball: string,
  o: {
    suite: string;
    mirror: string;
    aptopts?: string[];
    asRoot: boolean;
    epoch: number;
    architectures?: string[];
    packages?: string[];
  },
): Command {
  return {
    program: 'mmdebstrap',
    args: [
      `--mode=${o.asRoot ? 'root' : 'unshare'}`,
      `--variant=${BUILD_ROOT_VARIANT}`,
      '--format=tar',
      `--architectures=${(o.architectures ?? [BUILD_ROOT_ARCH]).join(',')}`,
      '--components=main',
      `--include=${(o.packages ?? BUILD_ROOT_PACKAGES).join(',')}`,
      ...(o.aptopts ?? []).map((a) => `--aptopt=${a}`),
      '--customize-hook=rm -f "$1/etc/hostname" "$1/etc/resolv.conf"',
      `--customize-hook=mkdir -p ${ROOT_MOUNT_POINTS.map((p) => `"$1${p}"`).join(' ')}`,
      o.suite,
      tarball,
      o.mirror,
    ],
    env: { SOURCE_DATE_EPOCH: String(o.epoch), LC_ALL: 'C.UTF-8', TZ: 'UTC' },
    what: `mmdebstrap ${o.suite} (the build root)`,
  };
}

/** The tarball unpacked by the user, as the user: no device nodes (the sandbox brings its own /dev). */
export function unpackRootCommand(tarball: string, tree: string): Command {
  return {
    program: 'tar',
    args: ['-xf', tarball, '-C', tree, '--no-same-owner', '--exclude=./dev/*'],
    what: 'unpacking the build root',
  };
}

/** A host directory shown inside the root. */
export interface RootBind {
  from: string;
  to: string;
  writable?: boolean;
}

/**
 * bwrap's words for one command inside the root (pure): the root read-only,
 * a fresh /dev, /proc and /tmp, the binds, no network, hostname "lab", and
 * only ROOT_BASE_ENV and the command's env. Without root, a user namespace
 * where the user is uid 0; as root, none is needed. The command's program
 * and paths are the root's: /usr/bin/make, /lab/build.
 */
export function sandboxArgs(
  command: Command,
  s: { root: string; binds: RootBind[]; asRoot: boolean; caps?: string[] },
): string[] {
  const absolute = [s.root, ...s.binds.flatMap((b) => [b.from, b.to]), command.cwd ?? '/'];
  const relative = absolute.filter((p) => !path.isAbsolute(p));
  if (relative.length > 0) throw new Error(`sandbox paths must be absolute: ${relative.join(', ')}`);
  const unknown = s.binds.filter((b) => !ROOT_MOUNT_POINTS.includes(b.to));
  if (unknown.length > 0) throw new Error(`no mount point in the root for ${unknown.map((b) => b.to).join(', ')}`);
  const env = { ...ROOT_BASE_ENV, ...command.env };
  return [
    ...(s.asRoot ? [] : ['--unshare-user', '--uid', '0', '--gid', '0']),
    ...(s.caps ?? []).flatMap((c) => ['--cap-add', c]),
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-net',
    '--unshare-uts',
    '--hostname',
    'lab',
    '--die-with-parent',
    '--ro-bind',
    s.root,
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--tmpfs',
    '/tmp',
    ...s.binds.flatMap((b) => [b.writable ? '--bind' : '--ro-bind', b.from, b.to]),
    '--clearenv',
    ...Object.entries(env)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .flatMap(([k, v]) => ['--setenv', k, v]),
    '--chdir',
    command.cwd ?? '/',
    '--',
    programName(command.program),
    ...command.args,
  ];
}
