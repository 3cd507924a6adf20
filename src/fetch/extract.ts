import type { Command } from '../process/command.js';
import { executeChecked } from '../process/runner.js';

/**
 * Unpacking a source tarball's top directory into dir with the system tar:
 * node-tar has no xz, is several times slower on a kernel-sized archive, and
 * drops symlink-through-symlink entries.
 */
export function extractCommand(tarball: string, dir: string, what: string): Command {
  return { program: 'tar', args: ['-xaf', tarball, '-C', dir, '--strip-components=1', '--no-same-owner'], what };
}

export function extractTarball(tarball: string, dir: string, options: { what: string; signal?: AbortSignal }) {
  return executeChecked(extractCommand(tarball, dir, options.what), { signal: options.signal });
}

/** A .deb's files unpacked into dir (dpkg-deb, on every Debian and Ubuntu). */
export function debExtractCommand(deb: string, dir: string): Command {
  return { program: 'dpkg-deb', args: ['-x', deb, dir], what: `unpacking ${deb.split('/').pop()}` };
}
