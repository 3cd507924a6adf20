import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import { sleep } from '../util/sleep.js';
import { guestExec } from '../guest/channel.js';
import { guestToolDir } from '../image/guest-tools.js';
import type { VmState } from '../vm/state.js';
import { eventCounts, functionStats, parseTrace, type FunctionStats, type TraceRecord } from './ftrace-parse.js';
import { traceRestore, traceSetup, tracefsArgs, type TraceRequest, type TracefsWrite } from './plan.js';

export const TRACE_FILE = '/sys/kernel/tracing/trace';

async function tracefs(vm: VmState, writes: TracefsWrite[]): Promise<void> {
  const r = await guestExec(vm, tracefsArgs(`${guestToolDir(vm.rootfs.kind)}/lab-write`, writes), { timeoutMs: 60_000 });
  if (r.exitCode !== 0) {
    const lines = r.stderr.toString().trim().split('\n');
    throw new LabError('TRACE_SETUP', lines.find((l) => l.startsWith('lab-write:')) ?? lines[0] ?? `lab-write exit ${r.exitCode}`, {
      hint: 'check the filter, function and event names against available_filter_functions and available_events',
    });
  }
}

/** An armed trace; stop() turns tracing off, reads the buffer, and always restores tracefs. */
export interface ActiveTrace {
  stop(): Promise<string>;
  restore(): Promise<void>;
}

export async function startTrace(vm: VmState, req: TraceRequest): Promise<ActiveTrace> {
  const was = await guestExec(vm, ['cat', '/sys/kernel/tracing/tracing_on'], { timeoutMs: 60_000 });
  const reset = traceRestore(was.stdout.toString().trim());
  try {
    await tracefs(vm, traceSetup(req));
  } catch (err) {
    await tracefs(vm, reset).catch(() => undefined);
    throw err;
  }
  let restored = false;
  const restore = async () => {
    if (restored) return;
    restored = true;
    await tracefs(vm, reset);
  };
  return {
    restore,
    async stop() {
      try {
        await tracefs(vm, [['tracing_on', '0']]);
        const r = await guestExec(vm, ['cat', TRACE_FILE], { timeoutMs: 300_000 });
        if (r.exitCode !== 0) throw new LabError('TRACE_READ', `reading ${TRACE_FILE} failed: ${r.stderr.toString().trim()}`);
        return r.stdout.toString('utf8');
      } finally {
        await restore();
      }
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

export function summarizeTrace(text: string): TraceSummary {
  const records: TraceRecord[] = parseTrace(text);
  return {
    lines: text.split('\n').length - 1,
    records: records.length,
    functions: functionStats(records),
    events: eventCounts(records),
    timeline: records.flatMap((r) => (r.kind === 'event' ? [{ timestamp: r.timestamp, cpu: r.cpu, event: r.event, detail: r.detail }] : [])),
  };
}

/** Writes the raw trace and its summary into the run directory. */
export async function saveTrace(runDir: string, text: string): Promise<TraceSummary> {
  const summary = summarizeTrace(text);
  await writeFile(path.join(runDir, 'trace.txt'), text);
  await writeFile(path.join(runDir, 'trace-summary.json'), JSON.stringify(summary, null, 2));
  return summary;
}

/** lab trace: arm, run a guest command or wait, stop, save; tracefs is restored whatever happens. */
export async function runTrace(
  vm: VmState,
  req: TraceRequest,
  what: { command?: string[]; durationSeconds?: number },
  runDir: string,
  signal?: AbortSignal,
): Promise<{ summary: TraceSummary; command?: { exitCode: number } }> {
  const active = await startTrace(vm, req);
  let command: { exitCode: number } | undefined;
  try {
    if (what.command?.length) {
      const r = await guestExec(vm, what.command, { signal, timeoutMs: 3_600_000 });
      command = { exitCode: r.exitCode };
      await writeFile(path.join(runDir, 'command.out'), Buffer.concat([r.stdout, r.stderr]));
    } else {
      await sleep((what.durationSeconds ?? 5) * 1000, signal);
    }
  } catch (err) {
    await active.restore();
    throw err;
  }
  const text = await active.stop();
  return { summary: await saveTrace(runDir, text), command };
}
