import { interactiveGdbCommand } from '../gdb/gdb-command.js';
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
  if (via === 'gdbstub')
    return interactiveGdbCommand(
      vm.kernel.vmlinux,
      `127.0.0.1:${vm.gdbPort}`,
      userArgs,
      undefined,
      vm.kernel.sourceTree,
    );
  const target = kgdbTarget(vm);
  await breakIntoKgdb(vm);
  return interactiveGdbCommand(
    vm.kernel.vmlinux,
    target,
    ['-iex', 'set remotetimeout 10', ...userArgs],
    undefined,
    vm.kernel.sourceTree,
  );
}
