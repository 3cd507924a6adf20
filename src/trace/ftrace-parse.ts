/**
 * Parsers for ftrace's text output (pure). function_graph lines become call
 * records; event lines (from any tracer, or the nop tracer) become events;
 * headers, context-switch banners and blank lines are skipped.
 *
 *   " 7)   0.407 us    |            compact_unlock_should_abort.isra.0();"   a leaf call
 *   " 7)               |      compact_zone() {"                              an entry
 *   " 7) @ 158712.7 us |      } /* compact_zone *\/"                          an exit, with the duration
 *   " 0) * 32000.00 us |  }"                                              an exit without funcgraph-tail
 *                                                                          (named from its entry)
 *   " 0)               |  /* mm_compaction_begin: zone_start=0x1 ... *\/"  an event inside a graph
 *   "  sh-123  [001] d..1.  55.123456: mm_compaction_begin: zone_start=..."   an event line
 */
export interface GraphRecord {
  kind: 'leaf' | 'entry' | 'exit';
  cpu: number;
  fn: string;
  depth: number;
  durationUs?: number;
}

export interface EventRecord {
  kind: 'event';
  cpu: number;
  event: string;
  detail: string;
  timestamp?: number;
  task?: string;
  pid?: number;
}

export type TraceRecord = GraphRecord | EventRecord;

const GRAPH = /^\s*(\d+)\)\s+(?:[+!#*@$]\s+)?(?:(\d+(?:\.\d+)?)\s+us\s+)?\|(\s*)(.*)$/;
const EVENT_LINE = /^\s*(.+?)-(\d+)\s+\[(\d+)\]\s+(?:\S+\s+)?(\d+\.\d+):\s+([\w:]+):\s?(.*)$/;

function graphBody(
  body: string,
): { kind: GraphRecord['kind']; fn: string } | { kind: 'event'; event: string; detail: string } | undefined {
  let m = /^([\w.$]+)\(\);$/.exec(body);
  if (m) return { kind: 'leaf', fn: m[1]! };
  m = /^([\w.$]+)\(\) \{$/.exec(body);
  if (m) return { kind: 'entry', fn: m[1]! };
  m = /^\} \/\* ([\w.$]+) \*\/$/.exec(body);
  if (m) return { kind: 'exit', fn: m[1]! };
  // without the funcgraph-tail option an exit is a bare brace: parseTrace names it from its entry
  if (body === '}') return { kind: 'exit', fn: '' };
  m = /^\/\* ([\w:]+): ?(.*) \*\/$/.exec(body);
  if (m) return { kind: 'event', event: m[1]!, detail: m[2]! };
  return undefined;
}

export function parseTraceLine(line: string): TraceRecord | undefined {
  if (!line.trim() || line.startsWith('#')) return undefined;
  const g = GRAPH.exec(line);
  if (g) {
    const body = graphBody(g[4]!.trimEnd());
    if (!body) return undefined;
    const cpu = Number(g[1]);
    if (body.kind === 'event') return { kind: 'event', cpu, event: body.event, detail: body.detail };
    const record: GraphRecord = { kind: body.kind, cpu, fn: body.fn, depth: Math.floor(g[3]!.length / 2) };
    if (g[2] !== undefined) record.durationUs = Number(g[2]);
    return record;
  }
  const e = EVENT_LINE.exec(line);
  if (e) {
    return {
      kind: 'event',
      task: e[1]!.trim(),
      pid: Number(e[2]),
      cpu: Number(e[3]),
      timestamp: Number(e[4]),
      event: e[5]!,
      detail: e[6]!,
    };
  }
  return undefined;
}

/**
 * The function a bare "}" closes: the entry open at its depth on its
 * CPU, or "[unknown]" when the trace began inside it.
 */
export const UNKNOWN_EXIT = '[unknown]';

export function parseTrace(text: string): TraceRecord[] {
  const out: TraceRecord[] = [];
  const open = new Map<number, string[]>();
  for (const line of text.split('\n')) {
    const r = parseTraceLine(line);
    if (!r) continue;
    if (r.kind === 'entry' || r.kind === 'exit') {
      let names = open.get(r.cpu);
      if (!names) open.set(r.cpu, (names = []));
      if (r.kind === 'entry') names[r.depth] = r.fn;
      else {
        if (r.fn === '') r.fn = names[r.depth] ?? UNKNOWN_EXIT;
        names.length = r.depth;
      }
    }
    out.push(r);
  }
  return out;
}

export interface FunctionStats {
  fn: string;
  /** Calls seen: leaf calls, entries, and exits whose entry fell before the trace began. */
  calls: number;
  totalUs: number;
  maxUs: number;
  perCpu: Record<number, number>;
}

/**
 * Per-function call counts and durations, one record at a time. An exit is
 * matched to the open entry of the same function on its CPU; an exit with
 * none (the trace began inside the call) still counts as one call with its
 * duration.
 */
export class FunctionCounter {
  private readonly stats = new Map<string, FunctionStats>();
  private readonly open = new Map<string, number>();

  add(r: TraceRecord): void {
    if (r.kind === 'event') return;
    let s = this.stats.get(r.fn);
    if (!s) this.stats.set(r.fn, (s = { fn: r.fn, calls: 0, totalUs: 0, maxUs: 0, perCpu: {} }));
    const slot = `${r.cpu}:${r.fn}`;
    const count = () => {
      s.calls++;
      s.perCpu[r.cpu] = (s.perCpu[r.cpu] ?? 0) + 1;
    };
    const time = (us: number | undefined) => {
      if (us === undefined) return;
      s.totalUs += us;
      s.maxUs = Math.max(s.maxUs, us);
    };
    if (r.kind === 'leaf') {
      count();
      time(r.durationUs);
    } else if (r.kind === 'entry') {
      count();
      this.open.set(slot, (this.open.get(slot) ?? 0) + 1);
    } else {
      const depth = this.open.get(slot) ?? 0;
      if (depth > 0) this.open.set(slot, depth - 1);
      else count();
      time(r.durationUs);
    }
  }

  result(): FunctionStats[] {
    for (const s of this.stats.values()) s.totalUs = Math.round(s.totalUs * 1000) / 1000;
    return [...this.stats.values()].sort((a, b) => b.calls - a.calls || a.fn.localeCompare(b.fn));
  }
}

export function functionStats(records: TraceRecord[]): FunctionStats[] {
  const counter = new FunctionCounter();
  for (const r of records) counter.add(r);
  return counter.result();
}

export function eventCounts(records: TraceRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) if (r.kind === 'event') counts[r.event] = (counts[r.event] ?? 0) + 1;
  return counts;
}
