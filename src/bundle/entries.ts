import path from 'node:path';
import { LabError } from '../errors.js';
import { terminalText } from '../util/terminal-text.js';

const MiB = 1024 * 1024;

/**
 * What a hand-in bundle may hold, checked entry by entry as it unpacks
 * (pure): a bundle is untrusted input from someone else's machine.
 */
export const BUNDLE_LIMITS = {
  /** The .tar.gz itself. */
  compressedBytes: 64 * MiB,
  /** Everything it unpacks to. */
  unpackedBytes: 256 * MiB,
  /** node-tar writes a file in about half a millisecond: 5,000 keep a bundle within seconds. */
  entries: 5_000,
} as const;
export type BundleLimits = { compressedBytes: number; unpackedBytes: number; entries: number };

/** The most --max-size may raise the packed limit to, in MiB. */
export const MAX_SIZE_MIB = 1024;

/** The limits with --max-size MiB packed (pure): a whole number of MiB, 1 to MAX_SIZE_MIB, else BAD_SIZE. */
export function bundleLimits(maxSizeMib: number | undefined): BundleLimits {
  if (maxSizeMib === undefined) return BUNDLE_LIMITS;
  if (!Number.isInteger(maxSizeMib) || maxSizeMib < 1 || maxSizeMib > MAX_SIZE_MIB)
    throw new LabError(
      'BAD_SIZE',
      Number.isNaN(maxSizeMib)
        ? '--max-size is not a number'
        : `--max-size ${maxSizeMib} is not a whole number of MiB from 1 to ${MAX_SIZE_MIB}`,
    );
  return { ...BUNDLE_LIMITS, compressedBytes: maxSizeMib * MiB };
}

export interface TarEntryInfo {
  path: string;
  /** tar's entry type: File, Directory, SymbolicLink, Link, ... */
  type: string;
  size: number;
}

/** Why an entry is refused, or undefined when it may be unpacked; the name shown escaped (terminal-text.ts). */
export function entryProblem(entry: TarEntryInfo): string | undefined {
  const p = entry.path;
  const name = terminalText(p, 120);
  if (p.includes('\0')) return `entry ${name} has a NUL in its name`;
  if (path.posix.isAbsolute(p) || /^[A-Za-z]:/.test(p)) return `entry ${name} is an absolute path`;
  if (p.split(/[\\/]+/).includes('..')) return `entry ${name} climbs out of the bundle ("..")`;
  if (entry.type === 'SymbolicLink' || entry.type === 'Link')
    return `entry ${name} is a link (a bundle holds only files and directories)`;
  if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'Directory')
    return `entry ${name} is a ${terminalText(entry.type, 40)}, not a file or directory`;
  return undefined;
}
