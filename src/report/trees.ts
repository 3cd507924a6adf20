import type { Hit } from '../gdb/hits.js';
import type { TraceRecord } from '../trace/ftrace-parse.js';

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

function childOf<T extends { children: T[] }>(parent: T, index: Map<T, Map<string, T>>, key: string, make: () => T): T {
  let byKey = index.get(parent);
  if (!byKey) index.set(parent, (byKey = new Map<string, T>()));
  let node = byKey.get(key);
  if (!node) {
    node = make();
    byKey.set(key, node);
    parent.children.push(node);
  }
  return node;
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

/** One call path of a function_graph trace, every call along it merged: times in microseconds. */
export interface CallNode {
  fn: string;
  calls: number;
  inclusiveUs: number;
  exclusiveUs: number;
  children: CallNode[];
}

const UNKNOWN_CALLER = '[caller not in the trace]';

/** Adds `node`'s counts and subtree into `parent`'s child of the same name. */
function mergeInto(parent: CallNode, node: CallNode, index: Map<CallNode, Map<string, CallNode>>): void {
  const target = childOf(parent, index, node.fn, () => ({
    fn: node.fn,
    calls: 0,
    inclusiveUs: 0,
    exclusiveUs: 0,
    children: [],
  }));
  target.calls += node.calls;
  target.inclusiveUs += node.inclusiveUs;
  target.exclusiveUs += node.exclusiveUs;
  for (const child of node.children) mergeInto(target, child, index);
}

/**
 * function_graph's calls merged by call path, with each path's calls,
 * inclusive time and exclusive time (its own, less its callees'). The stack is
 * rebuilt per CPU from each record's depth, as foldedTrace does. A trace that
 * begins inside calls shows their callees first and their exits later, with
 * no entries: the callees wait as orphans at their depth, and the exit one
 * level up adopts them, so the call path is rebuilt up to the outermost exit.
 */
export function callTree(records: TraceRecord[]): CallNode[] {
  const root: CallNode = { fn: '', calls: 0, inclusiveUs: 0, exclusiveUs: 0, children: [] };
  const index = new Map<CallNode, Map<string, CallNode>>();
  const make = (fn: string) => () => ({ fn, calls: 0, inclusiveUs: 0, exclusiveUs: 0, children: [] });
  interface CpuState {
    open: Array<{ node: CallNode; childUs: number } | undefined>;
    /** per depth: a holder whose children are calls with no known caller yet, and their time */
    orphans: Array<{ holder: CallNode; us: number } | undefined>;
  }
  const perCpu = new Map<number, CpuState>();
  let base = Infinity;
  for (const r of records) if (r.kind !== 'event') base = Math.min(base, r.depth);
  for (const r of records) {
    if (r.kind === 'event') continue;
    let st = perCpu.get(r.cpu);
    if (!st) perCpu.set(r.cpu, (st = { open: [], orphans: [] }));
    const { open, orphans } = st;
    const d = r.depth - base;
    const caller = d > 0 ? open[d - 1] : undefined;
    const orphanSlot = () =>
      (orphans[d] ??= { holder: { fn: '', calls: 0, inclusiveUs: 0, exclusiveUs: 0, children: [] }, us: 0 });
    const parent = d === 0 ? root : (caller?.node ?? orphanSlot().holder);
    const us = r.durationUs ?? 0;
    const credit = () => {
      if (d === 0) return;
      if (caller) caller.childUs += us;
      else orphanSlot().us += us;
    };
    if (r.kind === 'entry') {
      const node = childOf(parent, index, r.fn, make(r.fn));
      node.calls++;
      open.length = d;
      open[d] = { node, childUs: 0 };
      continue;
    }
    if (r.kind === 'leaf') {
      const node = childOf(parent, index, r.fn, make(r.fn));
      node.calls++;
      node.inclusiveUs += us;
      node.exclusiveUs += us;
      credit();
      continue;
    }
    const slot = open[d];
    let node: CallNode;
    let childUs = 0;
    if (slot && slot.node.fn === r.fn) {
      node = slot.node;
      childUs = slot.childUs;
    } else {
      // the entry fell before the trace began: this exit is the call's only
      // record, and the orphans one level down are its callees
      node = childOf(parent, index, r.fn, make(r.fn));
      node.calls++;
      const callees = orphans[d + 1];
      if (callees) {
        for (const c of callees.holder.children) mergeInto(node, c, index);
        childUs = callees.us;
        orphans[d + 1] = undefined;
      }
    }
    node.inclusiveUs += us;
    node.exclusiveUs += Math.max(0, us - childUs);
    credit();
    open.length = d;
  }
  // calls whose callers never showed (the trace ended first) hang under one node at the top
  for (const st of perCpu.values()) {
    st.orphans.forEach((o) => {
      if (!o || !o.holder.children.length) return;
      const unknown = childOf(root, index, UNKNOWN_CALLER, make(UNKNOWN_CALLER));
      for (const c of o.holder.children) {
        mergeInto(unknown, c, index);
        unknown.inclusiveUs += c.inclusiveUs;
      }
    });
  }
  const round = (n: CallNode) => {
    n.inclusiveUs = Math.round(n.inclusiveUs * 1000) / 1000;
    n.exclusiveUs = Math.round(n.exclusiveUs * 1000) / 1000;
    n.children.sort((a, b) => b.inclusiveUs - a.inclusiveUs || b.calls - a.calls);
    n.children.forEach(round);
  };
  round(root);
  return root.children;
}

/** Exclusive time per function over the whole tree. */
export function exclusiveByFunction(tree: CallNode[]): Map<string, number> {
  const out = new Map<string, number>();
  const stack = [...tree];
  for (let n = stack.pop(); n; n = stack.pop()) {
    out.set(n.fn, (out.get(n.fn) ?? 0) + n.exclusiveUs);
    stack.push(...n.children);
  }
  return out;
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
