import path from 'node:path';
import { terminalText } from '../util/terminal-text.js';

/**
 * What a hand-in bundle may hold, checked entry by entry before anything is
 * written (pure): a bundle is untrusted input from someone else's machine.
 */
export const BUNDLE_LIMITS = {
  /** The .tar.gz itself. */
  compressedBytes: 64 << 20,
  /** Everything it unpacks to. */
  unpackedBytes: 256 << 20,
  entries: 20_000,
} as const;
export type BundleLimits = { compressedBytes: number; unpackedBytes: number; entries: number };

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

/** The first reason to refuse a whole bundle, from its entry list (pure). */
export function bundleProblem(entries: TarEntryInfo[], limits: BundleLimits = BUNDLE_LIMITS): string | undefined {
  if (entries.length > limits.entries) return `it has ${entries.length} entries (the limit is ${limits.entries})`;
  let total = 0;
  for (const e of entries) {
    const problem = entryProblem(e);
    if (problem) return problem;
    total += e.size;
    if (total > limits.unpackedBytes) return `it unpacks to more than ${limits.unpackedBytes >> 20} MiB`;
  }
  return undefined;
}
