/** The rootfs kinds lab builds: debian (debootstrap, ssh) and initramfs (busybox, boots in a second). */
export type RootfsKind = 'initramfs' | 'debian';
export const ROOTFS_KINDS: RootfsKind[] = ['initramfs', 'debian'];
