import type { Argv } from 'yargs';
import { trailingWords } from '../context.js';
import { invoke } from '../invoke.js';
import { LabError } from '../../errors.js';
import { renderRepeats } from '../render-course.js';
import { renderJobResult } from '../render-matrix.js';
import { renderScenario, renderScenarioList, renderTrace, reportLine } from '../render.js';

/** lab trace and lab run. */
export function registerTrace<T>(y: Argv<T>) {
  return y
    .command(
      'trace',
      'ftrace in the guest for --duration S or around -- CMD...; tracing is always restored',
      (b) =>
        b
          .option('tracer', {
            choices: ['nop', 'function', 'function_graph'] as const,
            default: 'function_graph' as const,
          })
          .option('filter', { type: 'string', array: true, describe: 'set_ftrace_filter globs, e.g. "*compact*"' })
          .option('graph-function', { type: 'string', array: true, describe: 'set_graph_function, e.g. compact_zone' })
          .option('max-depth', { type: 'number', describe: 'max_graph_depth' })
          .option('event', {
            type: 'string',
            array: true,
            describe: 'events or groups: compaction, migrate:mm_migrate_pages',
          })
          .option('pid', { type: 'number', describe: 'trace only this guest pid' })
          .option('duration', { type: 'number', describe: 'seconds to trace when no command is given' }),
      (a) =>
        invoke(a, async (cli) => {
          const r = await (await import('../../lab/trace.js')).traceGuest(cli.lab, a, a['--'] ? trailingWords(a) : []);
          cli.out(
            cli.json
              ? JSON.stringify({ runDir: r.runDir, report: r.report, ...r.summary, timeline: undefined }, null, 2)
              : renderTrace(r.summary, r.runDir) + reportLine(r.report),
          );
          return r.commandExit ?? 0;
        }),
    )
    .command(
      'run [scenario]',
      'run a compaction scenario (lab run --list) and judge whether its path fired',
      (b) =>
        b
          .positional('scenario', { type: 'string' })
          .option('list', { type: 'boolean', default: false, describe: 'list the scenarios' })
          .option('repeat', {
            type: 'number',
            describe: 'run it N times: each figure as median and min-max, each verdict as k of N',
          })
          .option('spec', {
            type: 'string',
            describe: 'a job file lab matrix wrote: build, boot, run and stop as it pins (use with --lab-dir)',
          }),
      (a) =>
        invoke(a, async (cli) => {
          if (a.spec) {
            if (a.scenario)
              throw new LabError('BAD_OPTION', 'lab run --spec takes no scenario name: the job file names it');
            const r = await (await import('../../lab/job.js')).runJob(cli.lab, a.spec);
            cli.out(cli.json ? JSON.stringify(r, null, 2) : renderJobResult(r));
            return r.ok ? 0 : 1;
          }
          if (a.list || !a.scenario) {
            const all = (await import('../../lab/scenario.js')).listScenarios();
            cli.out(cli.json ? JSON.stringify(all, null, 2) : renderScenarioList(all));
            return a.list ? 0 : 2;
          }
          if (a.repeat !== undefined) {
            const r = await (
              await import('../../lab/scenario.js')
            ).repeatScenario(cli.lab, a.scenario, a.repeat, (dir, i) =>
              cli.lab.progress.notice(`run ${i + 1} of ${a.repeat}: ${dir}`),
            );
            cli.out(cli.json ? JSON.stringify(r, null, 2) : renderRepeats(r));
            return r.ok ? 0 : 1;
          }
          const { name, runDir, result, report } = await (
            await import('../../lab/scenario.js')
          ).runScenario(cli.lab, a.scenario);
          cli.out(
            cli.json
              ? JSON.stringify(
                  { scenario: name, runDir, report, ok: result.ok, seconds: result.seconds, verdicts: result.verdicts },
                  null,
                  2,
                )
              : renderScenario(name, runDir, result) + reportLine(report),
          );
          if (!result.ok) {
            const missing = result.verdicts.flatMap((v) => v.missing);
            process.stderr.write(
              `lab: scenario ${name} did not show what it ` +
                `expects${missing.length ? `: missing ${missing.join('; ')}` : ''}\n`,
            );
            return 1;
          }
          return 0;
        }),
    );
}
