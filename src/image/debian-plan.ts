import path from 'node:path';
import type { Command } from '../process/command.js';

/**
 * The Debian image's command plans as data (pure): debootstrap as root, or
 * mmdebstrap in a user namespace without root; then mke2fs -d, which builds the
 * ext4 file from a directory with no mount and no loop device.
 */
export const DEBIAN_SUITE = 'bookworm';
export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

/** The Debian mirror the image and the build root come from: LAB_DEBIAN_MIRROR, else deb.debian.org. */
export function debianMirror(env: NodeJS.ProcessEnv = process.env): string {
  return env.LAB_DEBIAN_MIRROR ?? DEFAULT_MIRROR;
}
export const LAB_UNITS = [
  'systemd-networkd.service',
  'lab-ssh-key.service',
  'lab-ssh-host-key.service',
  'ssh.service',
  'lab-agent.service',
];

/**
 * Units a lab VM never needs, masked: on one TCG vCPU every unit at boot
 * delays ssh (systemd-analyze blame, 6.1 guest: e2scrub_reap 4.2 s, getty-static
 * 2.3 s, six modprobe@ units 0.6-0.7 s each for a kernel with no modules,
 * journal-flush 0.6 s for a journal kept in memory). The serial console's
 * getty stays (lab console). systemd-random-seed stays: without its seed
 * sshd waits about a second for the kernel's RNG.
 */
export const MASKED_UNITS = [
  'e2scrub_reap.service',
  'systemd-journal-flush.service',
  'e2scrub_all.timer',
  'getty-static.service',
  'getty@tty1.service',
  'systemd-modules-load.service',
  ...['configfs', 'dm_mod', 'drm', 'efi_pstore', 'fuse', 'loop'].map((m) => `modprobe@${m}.service`),
];

/** What the Debian image depends on: its store key's inputs (pure). */
export function debianImageKeyInputs(i: {
  mirror: string;
  packages: string[];
  overlay: string[];
  toolSha256s: Record<string, string>;
  suite?: string;
  /** The build root mke2fs runs in; absent for the host's. */
  toolchain?: string;
  /** Debian's name for the image's architecture, when it is not amd64 (whose keys stay as they were). */
  debianArch?: string;
  /** Built on a host of another architecture: debootstrap's second stage ran in the guest. */
  secondStageInGuest?: boolean;
}) {
  return {
    kind: 'debian',
    suite: i.suite ?? DEBIAN_SUITE,
    mirror: i.mirror,
    packages: i.packages,
    overlay: i.overlay,
    tools: i.toolSha256s,
    masked: MASKED_UNITS,
    recipe: 'reproducible-2',
    ...(i.toolchain ? { toolchain: i.toolchain } : {}),
    ...(i.debianArch ? { arch: i.debianArch } : {}),
    ...(i.secondStageInGuest ? { secondStage: 'guest-1' } : {}),
  };
}

export function parsePackageList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

/**
 * debootstrap, as root. For another architecture (Debian's name, arm64)
 * only its first stage: the packages unpacked, configured later by the
 * guest itself (secondStageScript), so the host needs neither qemu-user nor binfmt.
 */
export function debootstrapCommand(
  tree: string,
  packages: string[],
  options: { mirror: string; cacheDir: string; suite?: string; foreignArch?: string },
): Command {
  const foreign = options.foreignArch ? [`--arch=${options.foreignArch}`, '--foreign'] : [];
  return {
    program: 'debootstrap',
    args: [
      '--variant=minbase',
      ...foreign,
      `--include=${packages.join(',')}`,
      `--cache-dir=${options.cacheDir}`,
      options.suite ?? DEBIAN_SUITE,
      tree,
      options.mirror,
    ],
    what: options.foreignArch ? `debootstrap --foreign (${options.foreignArch})` : 'debootstrap',
  };
}

/** Where the second stage's script lives in the first stage's tree: the guest's init. */
export const SECOND_STAGE = '/lab-second-stage';
/** The line the script prints when the tree is on the second disk, and only then. */
export const SECOND_STAGE_DONE = 'lab-second-stage: done';

/**
 * The guest's init for debootstrap's second stage (pure): the guest's own
 * kernel runs the tree's maintainer scripts natively, then the units as on
 * x86_64, then writes the whole tree as one tar to its second disk (no
 * network, no host mount: QEMU's raw file is the tar). Any failure ends
 * init, the kernel panics, QEMU exits without the done line.
 */
export function secondStageScript(): string {
  return [
    '#!/bin/sh',
    'set -e',
    'mountpoint -q /dev || mount -t devtmpfs dev /dev',
    '/debootstrap/debootstrap --second-stage',
    `systemctl enable ${LAB_UNITS.join(' ')}`,
    `systemctl mask ${MASKED_UNITS.join(' ')}`,
    // systemd makes a fresh machine-id at first boot; no apt downloads kept
    ': > /etc/machine-id',
    'rm -rf /var/cache/apt/archives',
    'mkdir -p /var/cache/apt/archives/partial',
    `cd / && tar --one-file-system --numeric-owner --xattrs --exclude=.${SECOND_STAGE} -cf /dev/vdb .`,
    'sync',
    `echo '${SECOND_STAGE_DONE}'`,
    '',
  ].join('\n');
}

/** The first stage's tree as the second stage guest's root disk: a plain ext4, thrown away after. */
export function firstStageDiskCommand(tree: string, image: string, sizeMiB: number): Command {
  return {
    program: 'mke2fs',
    args: ['-q', '-F', '-t', 'ext4', '-d', tree, image, `${sizeMiB}M`],
    what: 'mke2fs (the first stage)',
  };
}

/** The tar the second stage wrote, unpacked as root with every owner, mode and extended attribute kept. */
export function unpackTreeCommand(tarFile: string, tree: string): Command {
  return {
    program: 'tar',
    args: ['-x', '-p', '--numeric-owner', '--xattrs', '--xattrs-include=*', '-f', tarFile, '-C', tree],
    what: "unpack the second stage's tree",
  };
}

/** Rootless: an ext2 image written by mmdebstrap in a user namespace, the overlay synced in by a hook. */
export function mmdebstrapCommand(
  image: string,
  packages: string[],
  options: { mirror: string; overlay: string; suite?: string },
): Command {
  return {
    program: 'mmdebstrap',
    args: [
      '--mode=unshare',
      '--variant=minbase',
      '--format=ext2',
      `--include=${packages.join(',')}`,
      `--customize-hook=sync-in ${options.overlay} /`,
      `--customize-hook=systemctl --root="$1" enable ${LAB_UNITS.join(' ')}`,
      `--customize-hook=systemctl --root="$1" mask ${MASKED_UNITS.join(' ')}`,
      options.suite ?? DEBIAN_SUITE,
      image,
      options.mirror,
    ],
    what: 'mmdebstrap',
  };
}

/** The image's own systemctl, run in the tree: the host needs no systemd. */
export function enableUnitsCommand(tree: string): Command {
  return {
    program: 'chroot',
    args: [tree, 'systemctl', 'enable', ...LAB_UNITS],
    what: 'systemctl enable (in the image)',
  };
}

export function maskUnitsCommand(tree: string): Command {
  return {
    program: 'chroot',
    args: [tree, 'systemctl', 'mask', ...MASKED_UNITS],
    what: 'systemctl mask (in the image)',
  };
}

/** Rootless: mmdebstrap's image has no room to spare; it grows by 1 GiB for the student. */
export function growImageCommands(image: string): Command[] {
  return [
    { program: 'truncate', args: ['-s', '+1G', image], what: 'grow the image' },
    { program: 'resize2fs', args: ['-f', image], what: 'resize2fs' },
  ];
}

/** The image's size: what the tree holds, a quarter more for the filesystem, and 1 GiB free for the student. */
export function imageSizeMiB(treeBytes: number): number {
  const mib = Math.ceil((treeBytes * 1.25) / (1 << 20)) + 1024;
  return Math.ceil(mib / 64) * 64;
}

/** Where lab-exec lives in the image: the remote end of lab exec over ssh. */
export const GUEST_LAB_EXEC = '/usr/local/lib/lab/lab-exec';

export function treePath(tree: string, guestPath: string): string {
  return path.join(tree, guestPath.replace(/^\/+/, ''));
}
