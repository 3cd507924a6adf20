import type { Hit } from '../gdb/hits.js';
import type { CallNode } from '../trace/call-tree.js';
import { childOf } from '../util/keyed-child.js';

/**
 * The trees a report draws (pure). A flame node is d3-flame-graph's input:
 * `value` is the node's total, its children's included; `libtype` "inlined"
 * marks a frame gdb found inlined into its caller, which the chart colours apart.
 */
export interface FlameNode {
  name: string;
  value: number;
  libtype?: 'inlined' | 'kernel';
  children: FlameNode[];
}

/** Every hit's backtrace, outermost frame first, merged into one tree: a node's value is the hits under it. */
export function flameFromHits(hits: Hit[], rootName = 'all hits'): FlameNode {
  const root: FlameNode = { name: rootName, value: 0, children: [] };
  const index = new Map<FlameNode, Map<string, FlameNode>>();
  for (const h of hits) {
    if (h.frames.length === 0) continue;
    root.value++;
    let node = root;
    for (const f of [...h.frames].reverse()) {
      const name = f.function ?? '??';
      const libtype = f.inlined ? 'inlined' : 'kernel';
      node = childOf(node, index, `${libtype}:${name}`, () => ({ name, value: 0, libtype, children: [] }));
      node.value++;
    }
  }
  return root;
}

/** How many frames a flame tree draws, its root included. */
export function flameFrameCount(node: FlameNode): number {
  let n = 0;
  const stack = [node];
  for (let cur = stack.pop(); cur; cur = stack.pop()) {
    n++;
    stack.push(...cur.children);
  }
  return n;
}

/** The call tree as a flame graph weighted by inclusive nanoseconds. */
export function flameFromCallTree(tree: CallNode[], rootName = 'traced calls'): FlameNode {
  const convert = (n: CallNode): FlameNode => {
    const children = n.children.map(convert);
    // never less than its callees: an exit whose entry fell before the trace began has no callees' time subtracted
    const value = Math.max(
      Math.round(n.inclusiveUs * 1000),
      children.reduce((s, c) => s + c.value, 0),
    );
    return { name: n.fn, value, libtype: 'kernel', children };
  };
  const children = tree.map(convert);
  return { name: rootName, value: children.reduce((s, c) => s + c.value, 0), children };
}
