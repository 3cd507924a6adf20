import { LabError } from '../errors.js';
import { writeExports } from '../export/write.js';
import { reportAfterRun } from './report.js';
import { guestOf } from '../guest/guest.js';
import { openRun } from '../record/manifest.js';
import { traceAround, type TraceSummary } from '../trace/trace.js';
import type { TraceRequest } from '../trace/plan.js';
import { requireVm } from '../vm/status.js';
import { readBuildRecordIfAny } from './build-record.js';
import type { LabContext } from './context.js';

export interface TraceFlags {
  tracer: 'nop' | 'function' | 'function_graph';
  filter?: string[];
  graphFunction?: string[];
  maxDepth?: number;
  event?: string[];
  pid?: number;
  duration?: number;
}

export const TRACE_BUFFER_KB = 8192;

/** The tracefs request from the flags (pure). */
export function traceRequest(flags: TraceFlags): TraceRequest {
  return {
    tracer: flags.tracer,
    filters: flags.filter ?? [],
    graphFunctions: flags.graphFunction ?? [],
    maxDepth: flags.maxDepth,
    events: flags.event ?? [],
    pid: flags.pid,
    bufferKb: TRACE_BUFFER_KB,
  };
}

/** lab trace: ftrace armed in the guest around a command or for a duration; tracefs restored whatever happens. */
export async function traceGuest(
  ctx: LabContext,
  flags: TraceFlags,
  command: string[],
): Promise<{ runDir: string; summary: TraceSummary; commandExit?: number; report?: string }> {
  if (!command.length && !(flags.duration && flags.duration > 0))
    throw new LabError('NO_TRACE_SPAN', 'say how long to trace');
  const vm = await requireVm(ctx.paths);
  const request = traceRequest(flags);
  const run = await openRun(ctx, 'trace', 'trace', vm, await readBuildRecordIfAny(ctx.paths), {
    ...request,
    guestCommand: command,
  });
  const stage = ctx.progress.stage('trace');
  const started = Date.now();
  try {
    const r = await traceAround(
      guestOf(vm),
      request,
      command.length ? { command } : { durationSeconds: flags.duration },
      run.dir,
      ctx.signal,
    );
    stage.done(`${r.summary.records} records`);
    const exports = await writeExports(run.dir);
    await run.finish({
      exports,
      records: r.summary.records,
      commandExit: r.command?.exitCode,
      seconds: (Date.now() - started) / 1000,
    });
    return {
      runDir: run.dir,
      summary: r.summary,
      commandExit: r.command?.exitCode,
      report: await reportAfterRun(ctx, run.dir),
    };
  } catch (err) {
    await run.fail(err);
    throw err;
  }
}
