import type { Argv } from 'yargs';
import { invoke } from '../invoke.js';
import { upOptions } from '../options.js';
import { renderStatus, renderStop } from '../render.js';

/** lab up, lab down, lab status. */
export function registerVm<T>(y: Argv<T>) {
  return y
    .command(
      'up',
      'boot the VM: gdbstub on 127.0.0.1, serial log, guest agent',
      (b) => upOptions(b).option('qemu', { type: 'string', describe: '"system" or a qemu-system-x86_64 path' }),
      (a) =>
        invoke(a, async (cli) => {
          const state = await (await import('../../lab/vm.js')).startLabVm(cli.lab, a);
          if (cli.json)
            return cli.out(JSON.stringify(await (await import('../../lab/vm.js')).labVmStatus(cli.lab), null, 2));
          const ssh = state.ssh ? `, ssh on 127.0.0.1:${state.ssh.port} (lab ssh)` : '';
          cli.out(
            `VM up: pid ${state.pid}, ${state.accel}, gdb on ` +
              `127.0.0.1:${state.gdbPort}${ssh}, serial log ${state.serialLog}`,
          );
        }),
    )
    .command('down', 'stop the VM (QMP quit, then signals)', {}, (a) =>
      invoke(a, async (cli) => {
        const r = await (await import('../../lab/vm.js')).stopLabVm(cli.lab);
        cli.out(cli.json ? JSON.stringify(r) : renderStop(r));
      }),
    )
    .command('status', 'is the VM running, and where its ports are', {}, (a) =>
      invoke(a, async (cli) => {
        const s = await (await import('../../lab/vm.js')).labVmStatus(cli.lab);
        cli.out(cli.json ? JSON.stringify(s, null, 2) : renderStatus(s));
      }),
    );
}
