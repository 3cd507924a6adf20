import { LabError } from '../../errors.js';
import type { Command } from '../../process/command.js';
import { defineCommand } from '../command.js';
import { trailingWords } from '../context.js';

/** Vmcores: lab dump writes one, lab crash and lab drgn open it. */
export const dumpCommand = defineCommand({
  command: 'dump',
  describe: "the guest's memory as a kdump core (crash, drgn), with lab-buddy's free lists of the same moment",
  options: (y) =>
    y
      .option('at-break', { type: 'string', describe: "at this breakpoint's first hit (FN, FILE:LINE, 'if COND')" })
      .option('timeout', { type: 'number', default: 120, describe: 'seconds to wait for the hit' }),
  request: (a) => ({ at: a.atBreak, timeoutSeconds: a.timeout }),
  run: async (cli, request) => {
    if (!(request.timeoutSeconds > 0))
      throw new LabError('BAD_TIMEOUT', `--timeout ${request.timeoutSeconds} is not a number of seconds`);
    const d = await (await import('../../lab/dump.js')).dumpGuest(cli.lab, request);
    if (cli.json) return cli.out(JSON.stringify(d, null, 2));
    const mib = (d.bytes / 2 ** 20).toFixed(1);
    cli.out(`core ${d.core}: ${mib} MiB (${d.format}) in ${d.seconds} s, kernel build id ${d.buildId}`);
    cli.out(`open it: lab crash, lab drgn (lab-buddy's free lists of that moment: ${d.runDir}/buddy.json)`);
  },
});

/** The terminal handed to the tool: it is the user's until the tool exits. */
async function handOver(cli: { yieldTerminal(): void }, command: Command): Promise<number> {
  cli.yieldTerminal();
  return (await (await import('../../process/runner.js')).execute(command, { inherit: true })).exitCode;
}

export const crashCommand = defineCommand({
  command: 'crash [run]',
  describe: "Debian's crash on a lab dump, with its vmlinux: lab crash [RUN] [-- CRASH-ARGS]",
  options: (y) => y.positional('run', { type: 'string', describe: 'a dump run (default: the newest)' }),
  request: (a) => ({ run: a.run, args: trailingWords(a) }),
  run: async (cli, { run, args }) =>
    handOver(cli, await (await import('../../lab/postmortem.js')).crashSession(cli.lab, run, args)),
});

export const drgnCommand = defineCommand({
  command: 'drgn [run]',
  describe: "Debian's drgn on a lab dump, with its vmlinux: lab drgn [RUN] [-- SCRIPT ARGS]",
  options: (y) =>
    y
      .positional('run', { type: 'string', describe: 'a dump run (default: the newest)' })
      .option('buddy', { type: 'boolean', describe: 'print the free lists as JSON, as lab-buddy --json does' }),
  request: (a) => ({ run: a.run, args: trailingWords(a), buddy: a.buddy === true }),
  run: async (cli, { run, args, buddy }) =>
    handOver(cli, await (await import('../../lab/postmortem.js')).drgnSession(cli.lab, run, args, buddy)),
});
