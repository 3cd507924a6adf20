import { defineCommand } from '../command.js';
import { trailingWords } from '../context.js';

export const execCommand = defineCommand({
  command: 'exec',
  describe: 'run a command in the guest: lab exec -- CMD ARG...',
  options: (y) => y.option('timeout', { type: 'number', default: 600, describe: 'seconds' }),
  request: (a) => ({ argv: trailingWords(a), timeout: a.timeout }),
  run: async (cli, { argv, timeout }) => {
    const r = await (await import('../../lab/guest.js')).execInGuest(cli.lab, argv, timeout);
    cli.write(r.stdout, r.stderr);
    return r.exitCode;
  },
});

export const sshCommand = defineCommand({
  command: 'ssh',
  describe: 'ssh into the guest (Debian rootfs): lab ssh, or lab ssh -- CMD',
  options: (y) => y,
  request: (a) => ({ words: trailingWords(a) }),
  run: async (cli, { words }) => {
    const command = await (await import('../../lab/guest.js')).sshCommand(cli.lab, words, process.stdin.isTTY === true);
    cli.yieldTerminal();
    return (await (await import('../../process/runner.js')).execute(command, { inherit: true })).exitCode;
  },
});

export const cpCommand = defineCommand({
  command: 'cp <src> <dst>',
  describe: 'copy a file to or from the guest: lab cp FILE guest:/PATH, lab cp guest:/PATH FILE',
  options: (y) =>
    y
      .positional('src', { type: 'string', demandOption: true })
      .positional('dst', { type: 'string', demandOption: true }),
  request: (a) => ({ src: a.src, dst: a.dst }),
  run: async (cli, { src, dst }) => (await import('../../lab/guest.js')).copyWithGuest(cli.lab, src, dst),
});

export const gdbCommand = defineCommand({
  command: 'gdb',
  describe: 'an interactive gdb on the VM, already wired: lab gdb, or lab gdb -- GDB-ARGS',
  options: (y) =>
    y.option('kgdb', {
      type: 'boolean',
      describe: "through the kernel's KGDB (lab up --kgdb): the guest stops in KGDB first",
    }),
  request: (a) => ({ gdbArgs: trailingWords(a), via: a.kgdb ? ('kgdb' as const) : ('gdbstub' as const) }),
  run: async (cli, { gdbArgs, via }) => {
    const command = await (await import('../../lab/gdb.js')).gdbSessionCommand(cli.lab, gdbArgs, via);
    cli.yieldTerminal();
    return (await (await import('../../process/runner.js')).execute(command, { inherit: true })).exitCode;
  },
});

export const consoleCommand = defineCommand({
  command: 'console',
  describe: 'attach to the serial console (Ctrl-] detaches)',
  options: (y) => y,
  request: () => ({}),
  run: async (cli) =>
    (await import('../console.js')).attachConsole(await (await import('../../lab/vm-status.js')).runningVm(cli.lab)),
});
