/**
 * Installed packages from a dpkg status file: name -> version (pure). Given
 * the system's own architecture, another architecture's package is named
 * as apt names it, "busybox-static:arm64".
 */
export function installedPackages(status: string, native?: string): Record<string, string> {
  const installed: Record<string, string> = {};
  for (const block of status.split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(block)?.[1]?.trim();
    const name = field('Package');
    const version = field('Version');
    if (!name || !version || field('Status') !== 'install ok installed') continue;
    const arch = field('Architecture');
    const foreign = native !== undefined && arch !== undefined && arch !== native && arch !== 'all';
    installed[foreign ? `${name}:${arch}` : name] = version;
  }
  return installed;
}

/** Reads a file out of an ext4 image without mounting it (e2fsprogs' debugfs, read-only). */
export function debugfsCatCommand(image: string, guestPath: string) {
  return {
    program: 'debugfs' as const,
    args: ['-R', `cat ${guestPath}`, image],
    what: `reading ${guestPath} from the image`,
  };
}
