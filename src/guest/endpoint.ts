import type { SshTarget } from './ssh.js';

/**
 * What reaching a guest takes from its VM: the rootfs kind (where lab's tools
 * are), the serial agent's socket, ssh when the rootfs has it, KGDB's port.
 * vm/state.ts's VmState is one; guest/ names only this, so it never imports
 * vm/, which starts and stops the VM with guest/'s ssh.
 */
export interface GuestEndpoint {
  rootfs: { kind: string };
  sockets: { agent: string };
  ssh?: SshTarget;
  kgdb?: { port: number };
}
