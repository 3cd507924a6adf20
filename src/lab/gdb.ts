import { interactiveGdbCommand } from '../gdb/gdb-command.js';
import type { Command } from '../process/command.js';
import { requireVm } from '../vm/status.js';
import type { LabContext } from './context.js';

/** lab gdb: the gdb command for the running VM, already wired; the CLI hands it the terminal. */
export async function gdbSessionCommand(ctx: LabContext, userArgs: string[]): Promise<Command> {
  const vm = await requireVm(ctx.paths);
  return interactiveGdbCommand(vm.kernel.vmlinux, `127.0.0.1:${vm.gdbPort}`, userArgs);
}
