import type { Argv } from 'yargs';
import { trailingWords } from '../context.js';
import { invoke } from '../invoke.js';

/** lab exec, lab ssh, lab cp, lab console. */
export function registerGuest<T>(y: Argv<T>) {
  return y
    .command(
      'exec',
      'run a command in the guest: lab exec -- CMD ARG...',
      (b) => b.option('timeout', { type: 'number', default: 600, describe: 'seconds' }),
      (a) =>
        invoke(a, async (cli) => {
          const r = await (await import('../../lab/guest.js')).execInGuest(cli.lab, trailingWords(a), a.timeout);
          cli.write(r.stdout, r.stderr);
          return r.exitCode;
        }),
    )
    .command('ssh', 'ssh into the guest (Debian rootfs): lab ssh, or lab ssh -- CMD', {}, (a) =>
      invoke(a, async (cli) => {
        const command = await (
          await import('../../lab/guest.js')
        ).sshCommand(cli.lab, trailingWords(a), process.stdin.isTTY === true);
        cli.yieldTerminal();
        return (await (await import('../../process/runner.js')).execute(command, { inherit: true })).exitCode;
      }),
    )
    .command(
      'cp <src> <dst>',
      'copy a file to or from the guest: lab cp FILE guest:/PATH, lab cp guest:/PATH FILE',
      (b) =>
        b
          .positional('src', { type: 'string', demandOption: true })
          .positional('dst', { type: 'string', demandOption: true }),
      (a) => invoke(a, async (cli) => (await import('../../lab/guest.js')).copyWithGuest(cli.lab, a.src, a.dst)),
    )
    .command(
      'gdb',
      'an interactive gdb on the VM, already wired: lab gdb, or lab gdb -- GDB-ARGS',
      (b) =>
        b.option('kgdb', {
          type: 'boolean',
          describe: "through the kernel's KGDB (lab up --kgdb): the guest stops in KGDB first",
        }),
      (a) =>
        invoke(a, async (cli) => {
          const command = await (
            await import('../../lab/gdb.js')
          ).gdbSessionCommand(cli.lab, trailingWords(a), a.kgdb ? 'kgdb' : 'gdbstub');
          cli.yieldTerminal();
          return (await (await import('../../process/runner.js')).execute(command, { inherit: true })).exitCode;
        }),
    )
    .command('console', 'attach to the serial console (Ctrl-] detaches)', {}, (a) =>
      invoke(a, async (cli) =>
        (await import('../console.js')).attachConsole(await (await import('../../lab/vm.js')).runningVm(cli.lab)),
      ),
    );
}
