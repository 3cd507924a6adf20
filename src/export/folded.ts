import type { Hit } from '../gdb/hits.js';
import type { TraceRecord } from '../trace/ftrace-parse.js';

/**
 * Collapsed stacks ("root;caller;leaf COUNT" per line), the format Brendan
 * Gregg's FlameGraph and speedscope read (pure). Inlined frames carry
 * FlameGraph's "_[i]" suffix, which it colours apart.
 */
function frameName(f: { function: string | null; inlined: boolean }): string {
  const name = (f.function ?? '??').replace(/[;\s]/g, '_');
  return f.inlined ? `${name}_[i]` : name;
}

function fold(weights: Map<string, number>): string {
  return [...weights]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([stack, n]) => `${stack} ${n}\n`)
    .join('');
}

/** One line per distinct backtrace, counted: every hit weighs one. */
export function foldedHits(hits: Hit[]): string {
  const weights = new Map<string, number>();
  for (const h of hits) {
    if (h.frames.length === 0) continue;
    const stack = [...h.frames].reverse().map(frameName).join(';');
    weights.set(stack, (weights.get(stack) ?? 0) + 1);
  }
  return fold(weights);
}

/**
 * function_graph's call tree as collapsed stacks weighted by exclusive time
 * in nanoseconds: a call's own time is its duration less its children's. The
 * stack is rebuilt per CPU from each record's depth; a call whose entry came
 * before the trace began has "[unknown]" callers.
 */
export function foldedTrace(records: TraceRecord[]): string {
  const weights = new Map<string, number>();
  const perCpu = new Map<number, { names: string[]; childNs: number[] }>();
  const add = (stack: string[], ns: number) => {
    if (ns <= 0) return;
    const key = stack.join(';');
    weights.set(key, (weights.get(key) ?? 0) + ns);
  };
  const graph = records.filter((r): r is Exclude<TraceRecord, { kind: 'event' }> => r.kind !== 'event');
  // the outermost calls of the trace are its roots, whatever their indentation
  // a loop, not Math.min(...): a function_graph trace has hundreds of thousands of records
  let base = Infinity;
  for (const r of graph) base = Math.min(base, r.depth);
  for (const r of graph) {
    let s = perCpu.get(r.cpu);
    if (!s) perCpu.set(r.cpu, (s = { names: [], childNs: [] }));
    const d = r.depth - base;
    const callers = Array.from({ length: d }, (_, i) => s.names[i] ?? '[unknown]');
    const ns = Math.round((r.durationUs ?? 0) * 1000);
    if (r.kind === 'entry') {
      s.names.length = d;
      s.childNs.length = d;
      s.names[d] = r.fn;
      s.childNs[d] = 0;
      continue;
    }
    const children = r.kind === 'exit' && s.names[d] === r.fn ? (s.childNs[d] ?? 0) : 0;
    add([...callers, r.fn], ns - children);
    if (d > 0) s.childNs[d - 1] = (s.childNs[d - 1] ?? 0) + ns;
    if (r.kind === 'exit') {
      s.names.length = d;
      s.childNs.length = d;
    }
  }
  return fold(weights);
}
