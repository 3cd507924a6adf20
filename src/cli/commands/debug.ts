import type { DebugFlags } from '../../lab/debug.js';
import type { DemoFlags } from '../../lab/demo.js';
import { EXIT_CODES } from '../../errors.js';
import { defineCommand } from '../command.js';
import { trailingWords } from '../context.js';
import { buildOptions, debugOptions, upOptions } from '../options.js';
import { renderBuild, renderDebug, reportLine } from '../render.js';
import { buildFlagsOf } from './build.js';
import { startFlagsOf } from './vm.js';

export const debugCommand = defineCommand({
  command: 'debug',
  describe: "attach gdb, record every hit's backtrace, detach",
  options: (y) => debugOptions(y),
  request: (a): DebugFlags => ({
    break: a.break,
    exercise: a.exercise,
    lab: a.lab,
    capture: a.capture,
    args: a.args,
    snapshot: a.snapshot,
    snapshotEvery: a.snapshotEvery,
    engine: a.engine,
    bufferKb: a.bufferKb,
    via: a.via,
    maxPerBreak: a.maxPerBreak,
    count: a.count,
    timeout: a.timeout,
    trigger: a.trigger,
    triggerCommand: a['--'] ? trailingWords(a) : undefined,
  }),
  run: async (cli, flags) => {
    const vm = await (await import('../../lab/vm-status.js')).runningVm(cli.lab);
    const { result, runDir, report } = await (await import('../../lab/debug.js')).recordDebug(cli.lab, vm, flags);
    const summary = {
      runDir,
      report,
      outcome: result.outcome,
      hits: result.hits.length,
      breakpoints: result.breakpoints,
      trigger: result.trigger,
    };
    cli.out(
      cli.json
        ? JSON.stringify(summary, null, 2)
        : renderDebug(result, runDir, { breakpoints: flags.break }) + reportLine(report),
    );
    return result.outcome === 'interrupted' ? EXIT_CODES.interrupted : 0;
  },
});

export const demoCommand = defineCommand({
  command: 'demo',
  describe: "build, boot, and record the seed's breakpoints around a manual compaction",
  options: (y) =>
    upOptions(buildOptions(y))
      .option('count', { type: 'number', default: 20, describe: 'hits to record' })
      .option('timeout', { type: 'number', default: 120, describe: 'seconds to record for' }),
  request: (a): DemoFlags => ({
    ...buildFlagsOf(a),
    ...startFlagsOf(a),
    qemu: a.qemu,
    count: a.count,
    timeout: a.timeout,
  }),
  run: async (cli, flags) => {
    const demo = await import('../../lab/demo.js');
    const { build, result, runDir, report } = await demo.runDemo(cli.lab, flags, (b) => {
      if (!cli.json) cli.out(renderBuild(b));
    });
    if (cli.json) {
      const built = { profile: build.profile, fellBackFrom: build.fellBackFrom, kernel: build.kernel.version };
      const summary = { build: built, runDir, report, outcome: result.outcome, hits: result.hits.length };
      cli.out(JSON.stringify(summary, null, 2));
    } else {
      cli.out(
        renderDebug(result, runDir, { wholeBacktrace: true, breakpoints: demo.DEMO_BREAKPOINTS }) + reportLine(report),
      );
      cli.out('\nThe VM is still running (lab status); lab debug --break NAME attaches again, lab down stops it.');
    }
    return result.outcome === 'interrupted' ? EXIT_CODES.interrupted : 0;
  },
});
