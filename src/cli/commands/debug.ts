import type { Argv } from 'yargs';
import type { DebugFlags } from '../../lab/debug.js';
import { EXIT_CODES } from '../../errors.js';
import { trailingWords } from '../context.js';
import { invoke } from '../invoke.js';
import { buildOptions, debugOptions, upOptions } from '../options.js';
import { renderBuild, renderDebug, reportLine } from '../render.js';

/** lab debug and lab demo. */
export function registerDebug<T>(y: Argv<T>) {
  return y
    .command(
      'debug',
      "attach gdb, record every hit's backtrace, detach",
      (b) => debugOptions(b),
      (a) =>
        invoke(a, async (cli) => {
          const flags = { ...(a as unknown as DebugFlags), triggerCommand: a['--'] ? trailingWords(a) : undefined };
          const { result, runDir, report } = await (
            await import('../../lab/debug.js')
          ).recordDebug(cli.lab, await (await import('../../lab/vm.js')).runningVm(cli.lab), flags);
          cli.out(
            cli.json
              ? JSON.stringify(
                  {
                    runDir,
                    report,
                    outcome: result.outcome,
                    hits: result.hits.length,
                    breakpoints: result.breakpoints,
                    trigger: result.trigger,
                  },
                  null,
                  2,
                )
              : renderDebug(result, runDir, { breakpoints: flags.break }) + reportLine(report),
          );
          return result.outcome === 'interrupted' ? EXIT_CODES.interrupted : 0;
        }),
    )
    .command(
      'demo',
      "build, boot, and record the seed's breakpoints around a manual compaction",
      (b) =>
        upOptions(buildOptions(b))
          .option('count', { type: 'number', default: 20, describe: 'hits to record' })
          .option('timeout', { type: 'number', default: 120, describe: 'seconds to record for' }),
      (a) =>
        invoke(a, async (cli) => {
          const { build, result, runDir, report } = await (
            await import('../../lab/demo.js')
          ).runDemo(cli.lab, a, (b) => {
            if (!cli.json) cli.out(renderBuild(b));
          });
          if (cli.json) {
            cli.out(
              JSON.stringify(
                {
                  build: { profile: build.profile, fellBackFrom: build.fellBackFrom, kernel: build.kernel.version },
                  runDir,
                  report,
                  outcome: result.outcome,
                  hits: result.hits.length,
                },
                null,
                2,
              ),
            );
          } else {
            cli.out(
              renderDebug(result, runDir, {
                wholeBacktrace: true,
                breakpoints: (await import('../../lab/demo.js')).DEMO_BREAKPOINTS,
              }) + reportLine(report),
            );
            cli.out(
              '\nThe VM is still running (lab status); lab debug --break NAME attaches again, lab down stops it.',
            );
          }
          return result.outcome === 'interrupted' ? EXIT_CODES.interrupted : 0;
        }),
    );
}
