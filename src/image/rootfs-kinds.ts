import { archSpec, type Arch } from '../arch/arch.js';
import { LabError } from '../errors.js';

/** The rootfs kinds lab builds: debian (debootstrap, ssh) and initramfs (busybox, boots in a second). */
export type RootfsKind = 'initramfs' | 'debian';
export const ROOTFS_KINDS: RootfsKind[] = ['initramfs', 'debian'];

/**
 * The rootfs to build for the architecture (pure): the one asked for, or
 * where the profile's default is not built for it, the architecture's own.
 */
export function rootfsFor(arch: Arch, wanted: RootfsKind, explicit: boolean): RootfsKind {
  const { rootfsKinds: kinds, defaultRootfs } = archSpec(arch);
  if (!explicit && defaultRootfs) return defaultRootfs;
  if (kinds.includes(wanted)) return wanted;
  if (!explicit) return kinds[0]!;
  throw new LabError('BAD_OPTION', `lab does not build the ${wanted} rootfs for ${arch} yet`, {
    hint: `use --rootfs ${kinds.join(' or ')}`,
  });
}
