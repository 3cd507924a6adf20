import { lutimes, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from '../process/command.js';

/**
 * What makes two builds of the Debian image from the same .debs the same
 * bytes (reproducible-builds.org; mmdebstrap's practice): one fixed time for
 * every timestamp, no file that records when or where it was made, and
 * mke2fs given its UUID, hash seed and clock. The plans are pure.
 */
export const IMAGE_EPOCH = 1_700_000_000; // 2023-11-14, a fixed point: the image's files all carry it
export const IMAGE_UUID = '6c61622d-726f-4f74-8000-000000000001';
export const IMAGE_HASH_SEED = '6c61622d-6861-4873-8000-000000000002';

/** The environment for debootstrap's maintainer scripts: shadow's lastchg and friends take this date. */
export const IMAGE_BUILD_ENV = { SOURCE_DATE_EPOCH: String(IMAGE_EPOCH), LC_ALL: 'C.UTF-8', TZ: 'UTC' };

/** Files a bootstrap leaves that record its own run (logs, caches, backups, host keys), relative to the tree. */
export const RUN_RECORDS = [
  'var/log/dpkg.log',
  'var/log/alternatives.log',
  'var/log/bootstrap.log',
  'var/log/apt',
  'var/cache/ldconfig/aux-cache',
  'var/cache/apt/pkgcache.bin',
  'var/cache/apt/srcpkgcache.bin',
  'var/cache/man',
  'var/lib/apt/lists',
  // libmount's directory from debootstrap 1.0.128 (Debian 12) mounting /proc; 1.0.141 (Debian 13) leaves none
  'run/mount',
  'var/lib/dpkg/status-old',
  'var/lib/dpkg/diversions-old',
  'var/lib/dpkg/statoverride-old',
  'var/cache/debconf/config.dat-old',
  'var/cache/debconf/templates.dat-old',
  'etc/ssh/ssh_host_rsa_key',
  'etc/ssh/ssh_host_rsa_key.pub',
  'etc/ssh/ssh_host_ecdsa_key',
  'etc/ssh/ssh_host_ecdsa_key.pub',
  'etc/ssh/ssh_host_ed25519_key',
  'etc/ssh/ssh_host_ed25519_key.pub',
] as const;

/**
 * Removes the run records and sets every timestamp in the tree to
 * IMAGE_EPOCH; returns every path, "/"-rooted, for the ctime pass.
 */
export async function normalizeTree(tree: string): Promise<string[]> {
  for (const rel of RUN_RECORDS) await rm(path.join(tree, rel), { recursive: true, force: true });
  const entries = await readdir(tree, { recursive: true, withFileTypes: true });
  const paths = ['/'];
  for (const e of entries) paths.push('/' + path.relative(tree, path.join(e.parentPath, e.name)));
  for (const p of paths) await lutimes(path.join(tree, p), IMAGE_EPOCH, IMAGE_EPOCH);
  return paths.sort();
}

/** mke2fs with a fixed UUID, hash seed and clock (E2FSPROGS_FAKE_TIME), from the tree. */
export function reproducibleMke2fsCommand(tree: string, image: string, sizeMiB: number): Command {
  return {
    program: 'mke2fs',
    args: [
      '-q',
      '-F',
      '-t',
      'ext4',
      '-L',
      'lab-root',
      '-U',
      IMAGE_UUID,
      '-E',
      `hash_seed=${IMAGE_HASH_SEED}`,
      '-d',
      tree,
      image,
      `${sizeMiB}M`,
    ],
    env: { E2FSPROGS_FAKE_TIME: String(IMAGE_EPOCH) },
    what: 'mke2fs',
  };
}

/**
 * mke2fs -d copies each file's ctime, which no one can set on the host, and
 * its atime, which mke2fs's own reading of the file has just moved: debugfs
 * sets both afterwards, two commands per path (pure). A path with a double
 * quote cannot be quoted for debugfs and keeps its times.
 */
export function ctimeCommands(paths: string[]): string {
  return paths
    .filter((p) => !p.includes('"') && !p.includes('\n'))
    .map((p) => `sif "${p}" ctime @${IMAGE_EPOCH}\nsif "${p}" atime @${IMAGE_EPOCH}\n`)
    .join('');
}

export function debugfsScriptCommand(image: string, script: string): Command {
  return {
    program: 'debugfs',
    args: ['-w', '-f', script, image],
    env: { E2FSPROGS_FAKE_TIME: String(IMAGE_EPOCH) },
    what: 'debugfs (fixing ctimes and atimes)',
  };
}
