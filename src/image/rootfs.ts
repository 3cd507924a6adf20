import type { Arch } from '../arch/arch.js';
import type { Progress } from '../progress/progress.js';
import type { Store } from '../store/store.js';
import { buildDebianImage } from './debian.js';
import { buildInitramfs } from './initramfs.js';
import { guestTools } from './guest-tools.js';
import type { Toolchain } from '../toolchain/toolchain.js';

/**
 * The rootfs behind one interface: how it is built, how QEMU is given it, and
 * how the host reaches the guest.
 */
import { ROOTFS_CHANNEL, type RootfsKind } from './rootfs-kinds.js';

export { ROOTFS_KINDS, type RootfsKind } from './rootfs-kinds.js';

export interface Rootfs {
  kind: RootfsKind;
  key: string;
  file: string;
  cached: boolean;
  /** How lab exec reaches the guest: the initramfs agent on the second serial port, or ssh. */
  channel: 'serial-agent' | 'ssh';
}

export async function buildRootfs(
  store: Store,
  kind: RootfsKind,
  options: {
    progress: Progress;
    signal?: AbortSignal;
    logDir: string;
    packages?: string[];
    toolchain: Toolchain;
    arch: Arch;
    /** The lab's kernel: a foreign Debian image's second stage boots it. */
    kernel?: string;
  },
): Promise<Rootfs> {
  const tools = await guestTools(store, options.toolchain, options.arch);
  switch (kind) {
    case 'initramfs': {
      const built = await buildInitramfs(store, tools, options.toolchain, options.arch);
      return { kind, key: built.key, file: built.file, cached: built.cached, channel: ROOTFS_CHANNEL[kind] };
    }
    case 'debian': {
      const built = await buildDebianImage(store, tools, options);
      return { kind, key: built.key, file: built.file, cached: built.cached, channel: ROOTFS_CHANNEL[kind] };
    }
  }
}
