import { guestToolDir } from '../image/guest-tools.js';
import type { GuestEndpoint } from './endpoint.js';
import type { ExecReply } from './agent-protocol.js';
import { guestExec } from './channel.js';

export interface GuestExecOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * The running guest as the code that drives it sees it: a command runner and
 * where lab's helpers are. Scenarios, traces and samplers take this, so tests
 * drive them against a fake guest in milliseconds.
 */
export interface Guest {
  /** Where lab-exec, lab-write and the fragmenter are. */
  toolDir: string;
  exec(argv: string[], options?: GuestExecOptions): Promise<ExecReply>;
}

export function guestOf(vm: GuestEndpoint): Guest {
  return {
    toolDir: guestToolDir(vm.rootfs.kind),
    exec: (argv, options) => guestExec(vm, argv, options),
  };
}

/** A lab helper's path in the guest. */
export function guestTool(guest: Guest, name: 'lab-write' | 'lab-exec' | 'fragmenter'): string {
  return `${guest.toolDir}/${name}`;
}
