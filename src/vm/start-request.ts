import type { Accel } from '../qemu/args.js';
import type { VmState } from './state-schema.js';

/** What lab up asks of startVm. */
export interface StartRequest {
  qemu: { binary: string; version: string; firmwareDirs: string[] };
  kernel: VmState['kernel'];
  rootfs: VmState['rootfs'];
  profile: string;
  memory: string;
  cpus: number;
  gdbPort: number;
  accel: 'auto' | Accel;
  readyTimeoutMs: number;
  /** Extra kernel command-line words (--append). */
  append?: string[];
  /** Discard the Debian rootfs's overlay and start from the stored image. */
  fresh?: boolean;
  /** 127.0.0.1 port for ssh; a free one when absent. */
  sshPort?: number;
  /** KGDB on a third serial port: the 127.0.0.1 port it is served on (0: a free one). */
  kgdbPort?: number;
  /** Boot even when a boot snapshot of this VM could be restored (lab up --boot). */
  boot?: boolean;
  /** Start at this named moment of the lab instead (lab up --from). */
  moment?: string;
  /** QEMU's -icount: the guest's clock counts instructions, not host time. */
  deterministic?: boolean;
}
