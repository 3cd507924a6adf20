/**
 * Every program lab runs from the host's PATH. A Command can name only these
 * (or a file lab made or found by path: a QEMU it built, a script inside a
 * source tree), so this list is the whole of what lab runs, and a unit test
 * checks that deps/host-packages.txt provides each of them.
 */
export const HOST_PROGRAMS = [
  'addr2line',
  'bwrap',
  'bzip2',
  'chroot',
  'crash',
  'debootstrap',
  'debugfs',
  'dpkg-deb',
  'drgn',
  'gcc',
  'gdb',
  'gdb-multiarch',
  'make',
  'makedumpfile',
  'meson',
  'mke2fs',
  'mmdebstrap',
  'nm',
  'ninja',
  'pkg-config',
  'qemu-img',
  'qemu-system-aarch64',
  'qemu-system-x86_64',
  'resize2fs',
  'sacct',
  'sbatch',
  'scp',
  'ssh',
  'ssh-keygen',
  'tar',
  'truncate',
  'xz',
] as const;

export type HostProgram = (typeof HOST_PROGRAMS)[number];

/** A program by name from PATH, or by path: a file lab built or found. */
export type Program = HostProgram | { path: string };

export function programName(program: Program): string {
  return typeof program === 'string' ? program : program.path;
}
