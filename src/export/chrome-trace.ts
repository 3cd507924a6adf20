import type { Hit } from '../gdb/hits.js';
import { isCompactionCounter } from '../sample/parse.js';
import type { Sample } from '../sample/sample.js';
import type { TraceRecord } from '../trace/ftrace-parse.js';

/**
 * A run in the Trace Event Format (the JSON chrome://tracing and Perfetto UI
 * open) (pure): each hit an instant event on its vCPU, each compaction a
 * slice on its CPU from mm_compaction_begin to mm_compaction_end, the other
 * trace events instants, and the sampled vmstat counters counter events.
 * Times are microseconds: hits from the recorder's start, trace events from
 * the guest's boot, samples from the scenario's start (each is its own
 * process in the viewer, so no clock is mixed with another). Each vCPU that
 * stopped also gets one slice, "gdb recording", from the start to its last
 * hit: speedscope's importer builds its profiles from slices, and a trace of
 * instants alone made it crash the page. A slice's begin and end carry no
 * args: speedscope matches an end to its begin by name and args, so each
 * end's detail (status=complete) and begin's go on instants beside them.
 */
export interface TraceEvent {
  name: string;
  ph: 'i' | 'B' | 'E' | 'X' | 'C' | 'M';
  ts: number;
  /** an X (complete) event's duration */
  dur?: number;
  pid: number;
  tid: number;
  s?: 't';
  cat?: string;
  args?: Record<string, unknown>;
}

export const PIDS = { hits: 1, trace: 2, samples: 3 } as const;

export function chromeTrace(input: { hits?: Hit[]; records?: TraceRecord[]; samples?: Sample[] }): {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
} {
  const events: TraceEvent[] = [];
  const meta = (pid: number, name: string) =>
    events.push({ name: 'process_name', ph: 'M', ts: 0, pid, tid: 0, args: { name } });
  if (input.hits?.length) {
    meta(PIDS.hits, 'breakpoint hits (gdb)');
    for (const h of input.hits) {
      events.push({
        name: h.breakpoint,
        cat: 'hit',
        ph: 'i',
        s: 't',
        ts: Math.round(h.elapsed * 1e6),
        pid: PIDS.hits,
        tid: h.cpu ?? 0,
        args: { comm: h.comm, pid: h.pid, frames: h.frames.map((f) => f.function) },
      });
    }
    const lastHit = new Map<number, number>();
    for (const h of input.hits)
      lastHit.set(h.cpu ?? 0, Math.max(lastHit.get(h.cpu ?? 0) ?? 0, Math.round(h.elapsed * 1e6)));
    for (const [tid, end] of [...lastHit].sort((a, b) => a[0] - b[0])) {
      events.push({ name: 'gdb recording', cat: 'recording', ph: 'X', ts: 0, dur: end + 1, pid: PIDS.hits, tid });
    }
  }
  const timed = (input.records ?? []).filter(
    (r): r is Extract<TraceRecord, { kind: 'event' }> => r.kind === 'event' && r.timestamp !== undefined,
  );
  if (timed.length) {
    meta(PIDS.trace, 'ftrace events (guest)');
    const open = new Set<number>();
    for (const r of timed) {
      const ts = Math.round(r.timestamp! * 1e6);
      const args = { detail: r.detail, task: r.task, pid: r.pid };
      if (r.event === 'mm_compaction_begin') {
        events.push({ name: 'compaction', cat: 'compaction', ph: 'B', ts, pid: PIDS.trace, tid: r.cpu });
        events.push({ name: r.event, cat: 'event', ph: 'i', s: 't', ts, pid: PIDS.trace, tid: r.cpu, args });
        open.add(r.cpu);
      } else if (r.event === 'mm_compaction_end' && open.has(r.cpu)) {
        events.push({ name: 'compaction', cat: 'compaction', ph: 'E', ts, pid: PIDS.trace, tid: r.cpu });
        events.push({ name: r.event, cat: 'event', ph: 'i', s: 't', ts, pid: PIDS.trace, tid: r.cpu, args });
        open.delete(r.cpu);
      } else {
        events.push({ name: r.event, cat: 'event', ph: 'i', s: 't', ts, pid: PIDS.trace, tid: r.cpu, args });
      }
    }
  }
  if (input.samples?.length) {
    meta(PIDS.samples, 'vmstat samples');
    for (const s of input.samples) {
      const ts = Math.round(s.t * 1e6);
      // samples.jsonl is read as it is: a line may lack a score or counters
      if (s.score !== undefined)
        events.push({ name: 'fragmentation score', ph: 'C', ts, pid: PIDS.samples, tid: 0, args: { score: s.score } });
      for (const [name, value] of Object.entries(s.vmstat ?? {})) {
        if (isCompactionCounter(name)) events.push({ name, ph: 'C', ts, pid: PIDS.samples, tid: 0, args: { value } });
      }
    }
  }
  return { traceEvents: events, displayTimeUnit: 'ms' };
}
