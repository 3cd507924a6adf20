import { LabError } from '../errors.js';

/**
 * Where a build root's packages come from when lab.lock pins them (pure): the
 * mirror while it is still at the pinned point release, else
 * snapshot.debian.org as it was then.
 */
/** The fields of a suite's InRelease that name its state: "12.15", "Sat, 11 Jul 2026 10:16:37 UTC". */
export interface SuiteRelease {
  codename: string;
  version?: string;
  date: string;
}

/** The InRelease header, up to the file list (pure). */
export function parseRelease(text: string): SuiteRelease {
  const head = text.split(/\n(?:MD5Sum|SHA256):/)[0]!;
  const field = (name: string) => new RegExp(`^${name}: (.+)$`, 'm').exec(head)?.[1]?.trim();
  const codename = field('Codename');
  const date = field('Date');
  if (!codename || !date || Number.isNaN(Date.parse(date))) {
    throw new LabError('FETCH_FAILED', 'the mirror sent an InRelease without a Codename and a Date');
  }
  const version = field('Version');
  return { codename, date, ...(version ? { version } : {}) };
}

/** snapshot.debian.org's name for a moment: 20260711T101637Z (pure). */
export function snapshotTimestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

export function snapshotMirror(timestamp: string): string {
  if (!/^\d{8}T\d{6}Z$/.test(timestamp)) {
    throw new LabError('LOCK_INVALID', `not a snapshot.debian.org timestamp: ${JSON.stringify(timestamp)}`);
  }
  return `http://snapshot.debian.org/archive/debian/${timestamp}/`;
}

/** apt accepts a snapshot's Release files, whose dates are long past. */
export const SNAPSHOT_APTOPTS = ['Acquire::Check-Valid-Until "false"'];

/**
 * Where the root's packages come from (pure). Nothing pinned, or the mirror
 * still at the point release the lock was made from: the mirror. Otherwise
 * snapshot.debian.org as it was when the lock was made, which serves every
 * version the archive ever did. The installed versions are checked against
 * the pins afterwards either way.
 */
export function rootSource(i: { mirror: string; live: SuiteRelease; pinned?: { release: string; snapshot: string } }): {
  mirror: string;
  aptopts: string[];
  from: 'mirror' | 'snapshot';
} {
  if (!i.pinned || i.pinned.release === i.live.date) return { mirror: i.mirror, aptopts: [], from: 'mirror' };
  return { mirror: snapshotMirror(i.pinned.snapshot), aptopts: SNAPSHOT_APTOPTS, from: 'snapshot' };
}
