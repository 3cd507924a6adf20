import type { Store } from '../store/store.js';
import { buildInitramfs } from './initramfs.js';

/**
 * The rootfs behind one interface: how it is built, how QEMU is given it, and
 * how the host reaches the guest. The Debian image joins as another kind.
 */
export type RootfsKind = 'initramfs';

export interface Rootfs {
  kind: RootfsKind;
  key: string;
  file: string;
  cached: boolean;
  /** How lab exec reaches the guest: the initramfs agent on the second serial port. */
  channel: 'serial-agent';
}

export async function buildRootfs(store: Store, kind: RootfsKind): Promise<Rootfs> {
  switch (kind) {
    case 'initramfs': {
      const built = await buildInitramfs(store);
      return { kind, key: built.key, file: built.file, cached: built.cached, channel: 'serial-agent' };
    }
  }
}
