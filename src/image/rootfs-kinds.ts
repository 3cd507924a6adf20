/** The rootfs kinds lab builds: debian (debootstrap, ssh) and initramfs (busybox, boots in a second). */
export type RootfsKind = 'initramfs' | 'debian';
export const ROOTFS_KINDS: RootfsKind[] = ['initramfs', 'debian'];

/** The one file of each kind's store entry: what QEMU is given. */
export const ROOTFS_FILE: Record<RootfsKind, string> = { initramfs: 'initramfs.cpio', debian: 'rootfs.ext4' };

/** How lab exec reaches each kind's guest: the initramfs agent on a serial port, or ssh. */
export const ROOTFS_CHANNEL: Record<RootfsKind, 'serial-agent' | 'ssh'> = {
  initramfs: 'serial-agent',
  debian: 'ssh',
};
