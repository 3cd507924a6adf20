import type { Hit } from '../gdb/hits.js';
import { callTree } from '../trace/call-tree.js';
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
 * function_graph's call tree (the report's, trace/call-tree.ts) as collapsed
 * stacks weighted by exclusive time in nanoseconds: each call path's own time,
 * its callees' left out. Calls entered before the trace began are named from
 * their exits; callees whose callers never show hang under UNKNOWN_CALLER.
 */
export function foldedTrace(records: TraceRecord[]): string {
  const weights = new Map<string, number>();
  const pending = callTree(records).map((node) => ({ node, stack: node.fn }));
  for (let cur = pending.pop(); cur; cur = pending.pop()) {
    const ns = Math.round(cur.node.exclusiveUs * 1000);
    if (ns > 0) weights.set(cur.stack, ns);
    for (const child of cur.node.children) pending.push({ node: child, stack: `${cur.stack};${child.fn}` });
  }
  return fold(weights);
}
