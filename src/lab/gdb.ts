import { interactiveGdbCommand, onDebugger, vmlinuxArch } from '../gdb/gdb-command.js';
import type { Command } from '../process/command.js';
import { breakIntoKgdb, kgdbTarget } from '../guest/kgdb.js';
import { requireVm } from '../vm/status.js';
import type { LabContext } from './context.js';

/** lab gdb: the gdb command for the running VM, already wired; the CLI hands it the terminal. */
export async function gdbSessionCommand(
  ctx: LabContext,
  userArgs: string[],
  via: 'gdbstub' | 'kgdb' = 'gdbstub',
): Promise<Command> {
  const vm = await requireVm(ctx.paths);
  const arch = await vmlinuxArch(vm.kernel.vmlinux);
  if (via === 'gdbstub') {
    const target = `127.0.0.1:${vm.gdbPort}`;
    return onDebugger(
      interactiveGdbCommand(vm.kernel.vmlinux, target, userArgs, undefined, vm.kernel.sourceTree),
      arch,
    );
  }
  const target = kgdbTarget(vm);
  await breakIntoKgdb(vm);
  const args = ['-iex', 'set remotetimeout 10', ...userArgs];
  return onDebugger(interactiveGdbCommand(vm.kernel.vmlinux, target, args, undefined, vm.kernel.sourceTree), arch);
}
