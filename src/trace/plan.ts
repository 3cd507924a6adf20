import { LabError } from '../errors.js';

/** What lab trace sets up in tracefs. */
export interface TraceRequest {
  tracer: 'nop' | 'function' | 'function_graph';
  filters: string[];
  graphFunctions: string[];
  maxDepth?: number;
  events: string[];
  pid?: number;
  bufferKb?: number;
}

export type TracefsWrite = [file: string, value: string];

/** An --event as set_event takes it: a group ("compaction") means all its events. */
export function eventSpec(event: string): string {
  if (!/^[\w]+(:[\w*]+)?$/.test(event)) {
    throw new LabError('BAD_EVENT', `--event ${event} is not an event or a group`, {
      hint: 'e.g. compaction or migrate:mm_migrate_pages',
    });
  }
  return event.includes(':') ? event : `${event}:*`;
}

/**
 * Everything lab trace changes, back to off with every filter cleared: run on
 * success, error and Ctrl-C alike. tracing_on goes back to what it was (a
 * booted kernel has it on, with the nop tracer recording nothing).
 */
export function traceRestore(tracingOnBefore: string): TracefsWrite[] {
  return [...TRACE_RESET, ['tracing_on', tracingOnBefore === '0' ? '0' : '1']];
}

export const TRACE_RESET: TracefsWrite[] = [
  ['tracing_on', '0'],
  ['current_tracer', 'nop'],
  ['set_ftrace_filter', ''],
  ['set_graph_function', ''],
  ['max_graph_depth', '0'],
  ['set_ftrace_pid', ''],
  ['set_event', ''],
];

/** The writes that arm a trace, in order (pure): reset and clear, filters, events, then the tracer and tracing_on. */
export function traceSetup(req: TraceRequest): TracefsWrite[] {
  if (req.tracer !== 'function_graph' && (req.graphFunctions.length || req.maxDepth !== undefined)) {
    throw new LabError('BAD_TRACE', '--graph-function and --max-depth need --tracer function_graph', {});
  }
  const writes: TracefsWrite[] = [...TRACE_RESET, ['trace', '']];
  if (req.bufferKb) writes.push(['buffer_size_kb', String(req.bufferKb)]);
  if (req.filters.length) writes.push(['set_ftrace_filter', req.filters.join(' ')]);
  if (req.graphFunctions.length) writes.push(['set_graph_function', req.graphFunctions.join(' ')]);
  if (req.maxDepth !== undefined) writes.push(['max_graph_depth', String(req.maxDepth)]);
  if (req.pid !== undefined) writes.push(['set_ftrace_pid', String(req.pid)]);
  if (req.events.length) writes.push(['set_event', req.events.map(eventSpec).join(' ')]);
  writes.push(['current_tracer', req.tracer], ['tracing_on', '1']);
  return writes;
}

export function tracefsArgs(tool: string, writes: TracefsWrite[]): string[] {
  return [tool, ...writes.flat()];
}
