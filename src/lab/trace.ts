import { LabError } from '../errors.js';
import { guestOf } from '../guest/guest.js';
import { recordRun } from './record-run.js';
import { saveTrace } from '../record/trace-files.js';
import { writeRunFile } from '../record/write.js';
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
  const build = await readBuildRecordIfAny(ctx.paths);
  const opening = { kind: 'trace', name: 'trace', vm, build, request: { ...request, guestCommand: command } } as const;
  const run = await recordRun(ctx, opening, async (run) => {
    const stage = ctx.progress.stage('trace');
    const started = Date.now();
    const span = command.length ? { command } : { durationSeconds: flags.duration };
    const traced = await traceAround(guestOf(vm), request, span, ctx.signal);
    if (traced.command) await writeRunFile(run.dir, 'commandOutput', traced.command.output);
    const r = { ...(await saveTrace(run.dir, traced.text)), command: traced.command };
    stage.done(`${r.summary.records} records`);
    const fields = {
      records: r.summary.records,
      commandExit: r.command?.exitCode,
      seconds: (Date.now() - started) / 1000,
    };
    return { result: r, fields, contents: { records: r.records } };
  });
  const { summary, command: ran } = run.result;
  return { runDir: run.runDir, summary, commandExit: ran?.exitCode, report: run.report };
}
