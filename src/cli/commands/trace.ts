import type { TraceFlags } from '../../lab/trace.js';
import { defineCommand } from '../command.js';
import { trailingWords } from '../context.js';
import { renderTrace, reportLine } from '../render.js';

export const traceCommand = defineCommand({
  command: 'trace',
  describe: 'ftrace in the guest for --duration S or around -- CMD...; tracing is always restored',
  options: (y) =>
    y
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
  request: (a): { flags: TraceFlags; command: string[] } => ({
    flags: {
      tracer: a.tracer,
      filter: a.filter,
      graphFunction: a.graphFunction,
      maxDepth: a.maxDepth,
      event: a.event,
      pid: a.pid,
      duration: a.duration,
    },
    command: a['--'] ? trailingWords(a) : [],
  }),
  run: async (cli, { flags, command }) => {
    const r = await (await import('../../lab/trace.js')).traceGuest(cli.lab, flags, command);
    cli.out(
      cli.json
        ? JSON.stringify({ runDir: r.runDir, report: r.report, ...r.summary, timeline: undefined }, null, 2)
        : renderTrace(r.summary, r.runDir) + reportLine(r.report),
    );
    return r.commandExit ?? 0;
  },
});
