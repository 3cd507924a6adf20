import type { StartFlags } from '../../lab/vm.js';
import { defineCommand, type ArgsOf } from '../command.js';
import { upOptions, type GlobalArgs } from '../options.js';
import { renderStatus, renderStop } from '../render.js';
import { LabError } from '../../errors.js';

/** The VM's flags of lab up and lab demo, from their argv (pure). */
export function startFlagsOf(a: ArgsOf<typeof upOptions<GlobalArgs>>): StartFlags {
  return {
    memory: a.memory,
    cpus: a.cpus,
    gdbPort: a.gdbPort,
    accel: a.accel,
    bootTimeout: a.bootTimeout,
    fresh: a.fresh,
    boot: a.boot,
    append: a.append,
    sshPort: a.sshPort,
    kgdb: a.kgdb,
    kgdbPort: a.kgdbPort,
    deterministic: a.deterministic,
  };
}

export const upCommand = defineCommand({
  command: 'up',
  describe: 'boot the VM: gdbstub on 127.0.0.1, serial log, guest agent',
  options: (y) =>
    upOptions(y)
      .option('qemu', { type: 'string', describe: '"system" or a qemu-system-x86_64 path' })
      .option('from', { type: 'string', describe: 'then go to this named moment of the lab (lab snapshot save NAME)' }),
  request: (a): StartFlags => ({ ...startFlagsOf(a), qemu: a.qemu, from: a.from }),
  run: async (cli, flags) => {
    const vm = await import('../../lab/vm.js');
    const state = await vm.startLabVm(cli.lab, flags);
    if (cli.json) return cli.out(JSON.stringify(await vm.labVmStatus(cli.lab), null, 2));
    const ssh = state.ssh ? `, ssh on 127.0.0.1:${state.ssh.port} (lab ssh)` : '';
    const from =
      state.start?.from === 'snapshot'
        ? ', restored from its boot snapshot'
        : state.start?.from === 'moment'
          ? `, at moment ${state.start.moment}`
          : '';
    cli.out(
      `VM up: pid ${state.pid}, ${state.accel}${from}, gdb on 127.0.0.1:${state.gdbPort}${ssh}, ` +
        `serial log ${state.serialLog}`,
    );
  },
});

export const downCommand = defineCommand({
  command: 'down',
  describe: 'stop the VM (QMP quit, then signals)',
  options: (y) => y,
  request: () => ({}),
  run: async (cli) => {
    const r = await (await import('../../lab/vm-status.js')).stopLabVm(cli.lab);
    cli.out(cli.json ? JSON.stringify(r) : renderStop(r));
  },
});

export const statusCommand = defineCommand({
  command: 'status',
  describe: 'is the VM running, and where its ports are',
  options: (y) => y,
  request: () => ({}),
  run: async (cli) => {
    const s = await (await import('../../lab/vm-status.js')).labVmStatus(cli.lab);
    cli.out(cli.json ? JSON.stringify(s, null, 2) : renderStatus(s));
  },
});

export const snapshotCommand = defineCommand({
  command: 'snapshot <action> [name]',
  describe: 'named moments of the running VM: save NAME (also at a breakpoint), list, load NAME',
  options: (y) =>
    y
      .positional('action', { type: 'string', demandOption: true, describe: 'save, list or load' })
      .positional('name', { type: 'string', describe: 'the moment: letters, digits, ".", "_", "-"' }),
  request: (a) => ({ action: a.action, name: a.name }),
  run: async (cli, { action, name }) => {
    if (action !== 'save' && action !== 'list' && action !== 'load')
      throw new LabError('BAD_OPTION', `lab snapshot ${action}: no such action`, {
        hint: 'save NAME, list or load NAME',
      });
    const moments = await import('../../lab/moment.js');
    if (action === 'list') {
      const all = await moments.labMoments(cli.lab);
      if (cli.json) return cli.out(JSON.stringify(all, null, 2));
      return cli.out(all.length ? all.map((m) => `${m.name}  ${m.savedAt}  (${m.runState})`).join('\n') : 'no moments');
    }
    if (!name)
      throw new LabError('BAD_OPTION', `lab snapshot ${action} needs a name`, { hint: `lab snapshot ${action} NAME` });
    const done =
      action === 'save' ? await moments.saveLabMoment(cli.lab, name) : await moments.loadLabMoment(cli.lab, name);
    if (cli.json) return cli.out(JSON.stringify(done, null, 2));
    cli.out(action === 'save' ? `saved moment ${name} (the guest was ${done.runState})` : `loaded moment ${name}`);
  },
});
