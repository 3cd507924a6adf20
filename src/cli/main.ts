#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { LabError } from '../errors.js';
import { createContext, type GlobalOptions } from './context.js';
import {
  buildCommand,
  buildOptions,
  consoleCommand,
  runCommand,
  traceCommand,
  cpCommand,
  sshCommand,
  debugCommand,
  debugOptions,
  demoCommand,
  doctorCommand,
  downCommand,
  execCommand,
  statusCommand,
  upCommand,
  upOptions,
} from './commands.js';

/** Runs a command body and turns its result or error into an exit code: the only place that sets one. */
async function run(options: GlobalOptions, body: (ctx: ReturnType<typeof createContext>) => Promise<number | void>): Promise<void> {
  const ctx = createContext(options);
  try {
    const code = await body(ctx);
    process.exitCode = typeof code === 'number' ? code : 0;
  } catch (err) {
    if (err instanceof LabError) {
      if (ctx.json) process.stdout.write(JSON.stringify({ error: { code: err.code, message: err.message, hint: err.hint } }) + '\n');
      process.stderr.write(`lab: ${err.line()}\n`);
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(`lab: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 70;
    }
  }
}

await yargs(hideBin(process.argv))
  .scriptName('lab')
  .usage('$0 <command>: a Linux-kernel debugging lab for memory compaction')
  .option('lab-dir', { type: 'string', describe: 'the lab directory (default ./.lab)', global: true })
  .option('json', { type: 'boolean', default: false, describe: 'machine-readable output on stdout', global: true })
  .command(
    'build',
    'fetch, verify and build the kernel and the rootfs (cached)',
    (y) => buildOptions(y).option('configure-only', { type: 'boolean', describe: 'stop once the kernel config is final and verified' }),
    (a) => run(a, (ctx) => buildCommand(ctx, a)),
  )
  .command('up', 'boot the VM: gdbstub on 127.0.0.1, serial log, guest agent', (y) => upOptions(y).option('qemu', { type: 'string', describe: '"system" or a qemu-system-x86_64 path' }), (a) =>
    run(a, (ctx) => upCommand(ctx, a)),
  )
  .command('down', 'stop the VM (QMP quit, then signals)', {}, (a) => run(a as GlobalOptions, (ctx) => downCommand(ctx)))
  .command('status', 'is the VM running, and where its ports are', {}, (a) => run(a as GlobalOptions, (ctx) => statusCommand(ctx)))
  .command('debug', 'attach gdb, record every hit\'s backtrace, detach', (y) => debugOptions(y), (a) =>
    run(a, (ctx) => debugCommand(ctx, a)),
  )
  .command(
    'exec',
    'run a command in the guest: lab exec -- CMD ARG...',
    (y) => y.option('timeout', { type: 'number', default: 600, describe: 'seconds' }),
    (a) => run(a, (ctx) => execCommand(ctx, (a['--'] as string[] | undefined)?.map(String) ?? a._.slice(1).map(String), a.timeout)),
  )
  .command(
    'doctor',
    'list what is missing for a profile, with the apt-get line that installs it',
    (y) =>
      y
        .option('profile', { type: 'string', describe: 'the profile to check (default: debian, what works here offline)' })
        .option('qemu-build', { type: 'boolean', describe: 'include what building QEMU from source needs' })
        .option('qemu', { type: 'string', describe: '"system", "build" or a path' }),
    (a) => run(a, (ctx) => doctorCommand(ctx, a)),
  )
  .command('ssh', 'ssh into the guest (Debian rootfs): lab ssh, or lab ssh -- CMD', {}, (a) =>
    run(a as GlobalOptions, (ctx) => sshCommand(ctx, (a['--'] as string[] | undefined)?.map(String) ?? a._.slice(1).map(String))),
  )
  .command(
    'cp <src> <dst>',
    'copy a file to or from the guest: lab cp FILE guest:/PATH, lab cp guest:/PATH FILE',
    (y) => y.positional('src', { type: 'string', demandOption: true }).positional('dst', { type: 'string', demandOption: true }),
    (a) => run(a, (ctx) => cpCommand(ctx, a.src, a.dst)),
  )
  .command(
    'trace',
    'ftrace in the guest for --duration S or around -- CMD...; tracing is always restored',
    (y) =>
      y
        .option('tracer', { choices: ['nop', 'function', 'function_graph'] as const, default: 'function_graph' as const })
        .option('filter', { type: 'string', array: true, describe: 'set_ftrace_filter globs, e.g. "*compact*"' })
        .option('graph-function', { type: 'string', array: true, describe: 'set_graph_function, e.g. compact_zone' })
        .option('max-depth', { type: 'number', describe: 'max_graph_depth' })
        .option('event', { type: 'string', array: true, describe: 'events or groups: compaction, migrate:mm_migrate_pages' })
        .option('pid', { type: 'number', describe: 'trace only this guest pid' })
        .option('duration', { type: 'number', describe: 'seconds to trace when no command is given' }),
    (a) => run(a, (ctx) => traceCommand(ctx, a, (a['--'] as string[] | undefined)?.map(String) ?? [])),
  )
  .command(
    'run [scenario]',
    'run a compaction scenario (lab run --list) and judge whether its path fired',
    (y) => y.positional('scenario', { type: 'string' }).option('list', { type: 'boolean', default: false, describe: 'list the scenarios' }),
    (a) => run(a, (ctx) => runCommand(ctx, a.scenario, a.list)),
  )
  .command('console', 'attach to the serial console (Ctrl-] detaches)', {}, (a) => run(a as GlobalOptions, (ctx) => consoleCommand(ctx)))
  .command(
    'demo',
    'build, boot, and record the seed\'s breakpoints around a manual compaction',
    (y) =>
      upOptions(buildOptions(y))
        .option('count', { type: 'number', default: 20, describe: 'hits to record' })
        .option('timeout', { type: 'number', default: 120, describe: 'seconds to record for' }),
    (a) => run(a, (ctx) => demoCommand(ctx, a)),
  )
  .parserConfiguration({ 'populate--': true })
  .demandCommand(1, 'name a command: lab build, lab up, lab debug, lab demo, ...')
  .strict()
  .fail((msg, err) => {
    if (err) throw err;
    process.stderr.write(`lab: ${msg}: see lab --help\n`);
    process.exit(2);
  })
  .help()
  .parseAsync();
