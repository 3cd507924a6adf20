import type { Hit } from '../gdb/hits.js';
import type { PagetypeInfo } from '../sample/parse.js';
import { callTree, exclusiveByFunction } from '../trace/call-tree.js';
import { eventCounts, functionStats, type TraceRecord } from '../trace/ftrace-parse.js';
import { asObject as obj, asText as str } from '../util/json-narrow.js';
import { CHART_COUNTERS } from './chart.js';
import { buddyHeatmap, pagetypeHeatmap } from './heatmaps.js';
import type { RunFiles } from './run-files.js';
import { MAX_POINTS, MAX_ROWS, type RunReport } from './run-report.js';
import { flameFrameCount, flameFromCallTree, flameFromHits } from './trees.js';

/** The sections of a report, one builder per kind of data a run holds (pure). */
function capped<T>(xs: T[], max: number): { kept: T[]; omitted?: number } {
  return xs.length > max ? { kept: xs.slice(0, max), omitted: xs.length - max } : { kept: xs };
}

function captureText(c: unknown): string | number {
  const o = obj(c);
  if ('value' in o) return typeof o.value === 'number' ? o.value : str(o.value);
  return `error: ${str(o.error)}`;
}

export function debugSections(r: RunReport, hits: Hit[]): void {
  if (hits.length === 0) {
    r.notes.push('no breakpoint was hit in this run');
    return;
  }
  const tree = flameFromHits(hits);
  r.flame = {
    title: 'recorded backtraces (inlined frames in their own colour; click a frame to zoom)',
    unit: 'hits',
    tree,
    frames: flameFrameCount(tree),
  };
  const per = new Map<string, { hits: number; sites: number; functions: Set<string> }>();
  for (const h of hits) {
    const p = per.get(h.breakpoint) ?? { hits: 0, sites: h.sites ?? 1, functions: new Set<string>() };
    p.hits++;
    if (h.function) p.functions.add(h.function);
    per.set(h.breakpoint, p);
  }
  r.breakpoints = {
    columns: ['breakpoint', 'hits', 'sites', 'stopped in'],
    rows: [...per].map(([b, p]) => [b, p.hits, p.sites, [...p.functions].join(', ')]),
  };
  const lanes = [...per.keys()];
  const sorted = [...hits].sort((a, b) => a.elapsed - b.elapsed);
  const { kept, omitted } = capped(sorted, MAX_POINTS);
  const cpus = [...new Set(kept.map((h) => `cpu ${h.cpu ?? '?'}`))].sort();
  r.hitTimeline = {
    lanes,
    groups: cpus,
    x: kept.map((h) => h.elapsed),
    lane: kept.map((h) => lanes.indexOf(h.breakpoint)),
    group: kept.map((h) => cpus.indexOf(`cpu ${h.cpu ?? '?'}`)),
    ...(omitted ? { omitted } : {}),
  };
  const captureNames = [...new Set(hits.flatMap((h) => Object.keys(h.captures ?? {})))];
  const rows = capped(hits, MAX_ROWS);
  r.hitsTable = {
    columns: ['seq', 'seconds', 'breakpoint', 'function', 'line', 'cpu', 'comm', 'pid', 'depth', ...captureNames],
    rows: rows.kept.map((h) => [
      h.seq,
      h.elapsed,
      h.breakpoint,
      h.function,
      h.line,
      h.cpu,
      h.comm,
      h.pid,
      h.frames.length,
      ...captureNames.map((c) => (h.captures?.[c] === undefined ? null : captureText(h.captures[c]))),
    ]),
    ...(rows.omitted ? { omitted: rows.omitted } : {}),
  };
}

export function traceSections(r: RunReport, records: TraceRecord[]): void {
  const graph = records.some((x) => x.kind !== 'event');
  if (graph) {
    const tree = callTree(records);
    r.callTree = tree;
    const flame = flameFromCallTree(tree);
    r.flame = {
      title: 'function_graph call tree by inclusive time (click a frame to zoom)',
      unit: 'ns',
      tree: flame,
      frames: flameFrameCount(flame),
    };
    const exclusive = exclusiveByFunction(tree);
    const stats = functionStats(records);
    r.functions = {
      columns: ['function', 'calls', 'inclusive µs', 'exclusive µs', 'max µs', 'per CPU'],
      rows: stats.map((s) => [
        s.fn,
        s.calls,
        s.totalUs,
        Math.round((exclusive.get(s.fn) ?? 0) * 1000) / 1000,
        s.maxUs,
        Object.entries(s.perCpu)
          .map(([c, n]) => `${c}:${n}`)
          .join(' '),
      ]),
    };
  }
  const counts = eventCounts(records);
  if (Object.keys(counts).length)
    r.events = { columns: ['event', 'count'], rows: Object.entries(counts).sort((a, b) => b[1] - a[1]) };
  const timed = records.filter(
    (x): x is Extract<TraceRecord, { kind: 'event' }> => x.kind === 'event' && x.timestamp !== undefined,
  );
  if (timed.length) {
    const sorted = [...timed].sort((a, b) => a.timestamp! - b.timestamp!);
    const { kept, omitted } = capped(sorted, MAX_POINTS);
    const lanes = [...new Set(kept.map((e) => e.cpu))].sort((a, b) => a - b);
    const groups = [...new Set(kept.map((e) => e.event))].sort();
    const t0 = kept[0]!.timestamp!;
    r.eventTimeline = {
      lanes: lanes.map((c) => `cpu ${c}`),
      groups,
      x: kept.map((e) => Math.round((e.timestamp! - t0) * 1e6) / 1e6),
      lane: kept.map((e) => lanes.indexOf(e.cpu)),
      group: kept.map((e) => groups.indexOf(e.event)),
      ...(omitted ? { omitted } : {}),
    };
  } else if (records.some((x) => x.kind === 'event')) {
    r.notes.push("the trace's events carry no timestamps (function_graph prints none), so they have no timeline");
  }
}

export function scenarioSections(r: RunReport, files: RunFiles): void {
  const verdicts = Array.isArray(files.verdicts?.verdicts) ? files.verdicts.verdicts.map(obj) : [];
  r.verdicts = verdicts.map((v) => ({
    path: str(v.path),
    fired: v.fired === true,
    ok: v.ok === true,
    expected: v.expectedToFire === 'either' ? 'either' : v.expectedToFire ? 'fires' : 'stays quiet',
    rows: Array.isArray(v.rows)
      ? v.rows.map(obj).map((x) => ({ what: str(x.what), need: str(x.need), got: str(x.got), met: x.met === true }))
      : [],
    why: Array.isArray(v.why) ? v.why.map(str) : [],
  }));
  const samples = [...(files.samples ?? [])].sort((a, b) => a.t - b.t);
  if (samples.length) {
    const first = samples[0]!.vmstat;
    const counters: Record<string, number[]> = {};
    for (const name of CHART_COUNTERS) {
      const growth = samples.map((s) => (s.vmstat[name] ?? 0) - (first[name] ?? 0));
      if (growth.some((g) => g !== 0)) counters[name] = growth;
    }
    r.series = { t: samples.map((s) => s.t), score: samples.map((s) => s.score), counters, steps: files.steps ?? [] };
    const withBuddy = samples.filter((s) => s.buddyinfo?.length);
    if (withBuddy.length) {
      r.heatmaps = [
        buddyHeatmap(`buddyinfo before (t=${withBuddy[0]!.t} s): free blocks per order`, withBuddy[0]!.buddyinfo!),
        buddyHeatmap(`buddyinfo after (t=${withBuddy.at(-1)!.t} s)`, withBuddy.at(-1)!.buddyinfo!),
      ];
    }
  }
  if (files.pagetypeBefore)
    (r.heatmaps ??= []).push(
      pagetypeHeatmap('pagetypeinfo before: free blocks per zone, migrate type and order', files.pagetypeBefore),
    );
  if (files.pagetypeAfter) (r.heatmaps ??= []).push(pagetypeHeatmap('pagetypeinfo after', files.pagetypeAfter));
  const blocks = (info: PagetypeInfo | undefined) =>
    new Map((info?.blocks ?? []).map((b) => [`node ${b.node} ${b.zone}`, b.counts]));
  const before = blocks(files.pagetypeBefore);
  const after = blocks(files.pagetypeAfter);
  if (before.size || after.size) {
    const types = [...new Set([...before.values(), ...after.values()].flatMap((c) => Object.keys(c)))];
    r.pageblocks = {
      columns: ['zone', ...types.flatMap((t) => [`${t} before`, `${t} after`])],
      rows: [...new Set([...before.keys(), ...after.keys()])].map((z) => [
        z,
        ...types.flatMap((t) => [before.get(z)?.[t] ?? null, after.get(z)?.[t] ?? null]),
      ]),
    };
  }
}
