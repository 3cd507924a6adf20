import { runChecked } from '../process/runner.js';

/**
 * Unpacks a source tarball's top directory into dir with the system tar:
 * node-tar has no xz, is several times slower on a kernel-sized archive, and
 * drops symlink-through-symlink entries.
 */
export function extractTarball(tarball: string, dir: string, options: { what: string; signal?: AbortSignal }) {
  return runChecked('tar', ['-xaf', tarball, '-C', dir, '--strip-components=1', '--no-same-owner'], options);
}
