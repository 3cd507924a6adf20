import { LabError } from '../errors.js';
import { sleep } from '../util/sleep.js';
import type { GuestEndpoint } from './endpoint.js';
import { guestExec } from './channel.js';

/** sysrq-g: the kernel stops in KGDB, on every CPU, until gdb detaches. */
export const SYSRQ_KGDB = ['sh', '-c', 'echo g > /proc/sysrq-trigger'];

/** Where gdb reaches KGDB: the VM's third serial port, on 127.0.0.1. */
export function kgdbTarget(vm: GuestEndpoint): string {
  if (!vm.kgdb) {
    throw new LabError('VM_NOT_RUNNING', 'the VM was started without KGDB', { hint: 'lab down, then lab up --kgdb' });
  }
  return `127.0.0.1:${vm.kgdb.port}`;
}

/**
 * Stops the kernel in KGDB through the guest channel. The command cannot
 * answer while the kernel is stopped, so it is not waited for; KGDB is
 * given a moment to take the serial line before gdb speaks on it.
 */
export async function breakIntoKgdb(vm: GuestEndpoint, settleMs = 1500): Promise<void> {
  void guestExec(vm, SYSRQ_KGDB, { timeoutMs: 15_000 }).catch(() => undefined);
  await sleep(settleMs);
}
