import { LabError, withCleanup, withSecondError } from '../errors.js';
import { sleep } from '../util/sleep.js';
import { readCompressed } from '../guest/compressed-read.js';
import { guestTool, type Guest } from '../guest/guest.js';
import { eventCounts, functionStats, parseTrace, type FunctionStats, type TraceRecord } from './ftrace-parse.js';
import { traceRestore, traceSetup, tracefsArgs, type TraceRequest, type TracefsWrite } from './plan.js';

export const TRACE_FILE = '/sys/kernel/tracing/trace';

async function tracefs(guest: Guest, writes: TracefsWrite[]): Promise<void> {
  const r = await guest.exec(tracefsArgs(guestTool(guest, 'lab-write'), writes), { timeoutMs: 60_000 });
  if (r.exitCode !== 0) {
    const lines = r.stderr.toString().trim().split('\n');
    throw new LabError(
      'TRACE_SETUP',
      lines.find((l) => l.startsWith('lab-write:')) ?? lines[0] ?? `lab-write exit ${r.exitCode}`,
      {
        hint: 'check the filter, function and event names against available_filter_functions and available_events',
      },
    );
  }
}

/** An armed trace; stop() turns tracing off, reads the buffer, and always restores tracefs. */
export interface ActiveTrace {
  stop(): Promise<string>;
  restore(): Promise<void>;
}

export async function startTrace(guest: Guest, req: TraceRequest): Promise<ActiveTrace> {
  const was = await guest.exec(['cat', '/sys/kernel/tracing/tracing_on'], { timeoutMs: 60_000 });
  const reset = traceRestore(was.stdout.toString().trim());
  try {
    await tracefs(guest, traceSetup(req));
  } catch (err) {
    try {
      await tracefs(guest, reset);
    } catch (resetErr) {
      throw withSecondError(err, resetErr, 'restoring tracefs');
    }
    throw err;
  }
  let restored = false;
  const restore = async () => {
    if (restored) return;
    restored = true;
    await tracefs(guest, reset);
  };
  return {
    restore,
    async stop() {
      return withCleanup(
        async () => {
          await tracefs(guest, [['tracing_on', '0']]);
          return (await readCompressed(guest, TRACE_FILE)).out;
        },
        restore,
        'restoring tracefs',
      );
    },
  };
}

export interface TraceSummary {
  lines: number;
  records: number;
  functions: FunctionStats[];
  events: Record<string, number>;
  timeline: Array<{ timestamp?: number; cpu: number; event: string; detail: string }>;
}

/** The summary of a parsed trace (pure): lines is the raw text's. */
export function summarizeRecords(records: TraceRecord[], lines: number): TraceSummary {
  return {
    lines,
    records: records.length,
    functions: functionStats(records),
    events: eventCounts(records),
    timeline: records.flatMap((r) =>
      r.kind === 'event' ? [{ timestamp: r.timestamp, cpu: r.cpu, event: r.event, detail: r.detail }] : [],
    ),
  };
}

function lineCount(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** A trace as read from the guest: parsed once, for its summary here and for the run's exports and report. */
export interface SavedTrace {
  summary: TraceSummary;
  records: TraceRecord[];
}

/** The trace parsed, once, and its summary (pure). */
export function summarizedTrace(text: string): SavedTrace {
  const records = parseTrace(text);
  return { summary: summarizeRecords(records, lineCount(text)), records };
}

/** lab trace: arm, run a guest command or wait, stop; tracefs is restored whatever happens. Returns the raw trace. */
export async function traceAround(
  guest: Guest,
  req: TraceRequest,
  what: { command?: string[]; durationSeconds?: number },
  signal?: AbortSignal,
): Promise<{ text: string; command?: { exitCode: number; output: Buffer } }> {
  const active = await startTrace(guest, req);
  let command: { exitCode: number; output: Buffer } | undefined;
  try {
    if (what.command?.length) {
      const r = await guest.exec(what.command, { signal, timeoutMs: 3_600_000 });
      command = { exitCode: r.exitCode, output: Buffer.concat([r.stdout, r.stderr]) };
    } else {
      await sleep((what.durationSeconds ?? 5) * 1000, signal);
    }
  } catch (err) {
    try {
      await active.restore();
    } catch (restoreErr) {
      throw withSecondError(err, restoreErr, 'restoring tracefs');
    }
    throw err;
  }
  return { text: await active.stop(), command };
}
