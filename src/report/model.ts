import type { Hit } from '../gdb/hits.js';
import { CHART_COUNTERS } from './chart.js';
import type { PagetypeInfo, ZoneFree } from '../sample/parse.js';
import { eventCounts, functionStats, type TraceRecord } from '../trace/ftrace-parse.js';
import { callTree, exclusiveByFunction, flameFrameCount, flameFromCallTree, flameFromHits, type CallNode, type FlameNode } from './trees.js';

/**
 * What report.html shows, built from a run directory's files (pure): the page
 * only draws this. Every section is optional: a run has what its kind and its
 * request produced.
 */
export interface Heatmap {
  title: string;
  rows: string[];
  cols: string[];
  values: number[][];
}

export interface Table {
  columns: string[];
  rows: Array<Array<string | number | null>>;
  /** rows left out to keep the page small */
  omitted?: number;
}

/** Points on lanes: x is seconds, lane is an index into lanes, group into groups (one colour each). */
export interface LaneTimeline {
  lanes: string[];
  groups: string[];
  x: number[];
  lane: number[];
  group: number[];
  omitted?: number;
}

export interface ScenarioSeries {
  t: number[];
  score: number[];
  /** growth since the first sample, per counter that moved */
  counters: Record<string, number[]>;
  steps: Array<{ t: number; label: string }>;
}

export interface RunReport {
  kind: string;
  id: string;
  title: string;
  header: Array<[string, string]>;
  exports: string[];
  flame?: { title: string; unit: string; tree: FlameNode; frames: number };
  breakpoints?: Table;
  hitTimeline?: LaneTimeline;
  hitsTable?: Table;
  heatmaps?: Heatmap[];
  callTree?: CallNode[];
  functions?: Table;
  events?: Table;
  eventTimeline?: LaneTimeline;
  verdicts?: Array<{ path: string; fired: boolean; ok: boolean; expected: string; rows: Array<{ what: string; need: string; got: string; met: boolean }>; why: string[] }>;
  series?: ScenarioSeries;
  /** pageblocks per migrate type, before and after */
  pageblocks?: Table;
  notes: string[];
}

export interface Snapshot {
  when: string;
  seq?: number;
  kind: string;
  data: unknown;
}

export interface Sample {
  t: number;
  score: number;
  vmstat: Record<string, number>;
  buddyinfo?: ZoneFree[];
}

export interface RunFiles {
  manifest: Record<string, unknown>;
  hits?: Hit[];
  snapshots?: Snapshot[];
  records?: TraceRecord[];
  samples?: Sample[];
  verdicts?: { verdicts?: unknown[] };
  steps?: Array<{ t: number; label: string }>;
  pagetypeBefore?: PagetypeInfo;
  pagetypeAfter?: PagetypeInfo;
}

/** Rows a table or timeline keeps: a page of a hot run stays a few MB. */
export const MAX_ROWS = 5000;
export const MAX_POINTS = 20000;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string => (v === undefined || v === null ? '?' : String(v));

function header(m: Obj): Array<[string, string]> {
  const kernel = obj(m.kernel);
  const qemu = obj(m.qemu);
  const rootfs = obj(m.rootfs);
  const command = Array.isArray(m.command) ? (m.command as unknown[]).map(String).join(' ') : '?';
  return [
    ['run', str(m.id)],
    ['command', command],
    ['kernel', `${str(kernel.version)} (profile ${str(m.profile)}, build ${str(kernel.key)})`],
    ['config sha256', str(kernel.configSha256)],
    ['compiler', str(kernel.compiler)],
    ['QEMU', `${str(qemu.version)}, accel ${str(qemu.accel)}, ${str(qemu.memory)}, ${str(qemu.cpus)} CPUs`],
    ['rootfs', `${str(rootfs.kind)} (${str(rootfs.channel)})`],
    ['started', str(m.createdAt)],
    ['seconds', m.seconds === undefined ? '?' : str(m.seconds)],
  ];
}

function titleOf(m: Obj): string {
  const request = obj(m.request);
  if (m.kind === 'scenario') return `lab run ${str(obj(request.scenario).name)}`;
  if (m.kind === 'debug') return `lab debug --break ${Array.isArray(request.breakpoints) ? request.breakpoints.join(' --break ') : '?'}`;
  return `lab trace (${str(request.tracer)})`;
}

function capped<T>(xs: T[], max: number): { kept: T[]; omitted?: number } {
  return xs.length > max ? { kept: xs.slice(0, max), omitted: xs.length - max } : { kept: xs };
}

function captureText(c: unknown): string | number {
  const o = obj(c);
  if ('value' in o) return typeof o.value === 'number' ? o.value : str(o.value);
  return `error: ${str(o.error)}`;
}

function debugSections(r: RunReport, hits: Hit[]): void {
  if (hits.length === 0) {
    r.notes.push('no breakpoint was hit in this run');
    return;
  }
  const tree = flameFromHits(hits);
  r.flame = { title: 'recorded backtraces (inlined frames in their own colour; click a frame to zoom)', unit: 'hits', tree, frames: flameFrameCount(tree) };
  const per = new Map<string, { hits: number; sites: number; functions: Set<string> }>();
  for (const h of hits) {
    const p = per.get(h.breakpoint) ?? { hits: 0, sites: h.sites ?? 1, functions: new Set<string>() };
    p.hits++;
    if (h.function) p.functions.add(h.function);
    per.set(h.breakpoint, p);
  }
  r.breakpoints = { columns: ['breakpoint', 'hits', 'sites', 'stopped in'], rows: [...per].map(([b, p]) => [b, p.hits, p.sites, [...p.functions].join(', ')]) };
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
    rows: rows.kept.map((h) => [h.seq, h.elapsed, h.breakpoint, h.function, h.line, h.cpu, h.comm, h.pid, h.frames.length, ...captureNames.map((c) => (h.captures?.[c] === undefined ? null : captureText(h.captures[c])))]),
    ...(rows.omitted ? { omitted: rows.omitted } : {}),
  };
}

/** lab debug --snapshot buddy: one heatmap per snapshot and zone, migrate type × order. */
function snapshotHeatmaps(snapshots: Snapshot[]): Heatmap[] {
  const out: Heatmap[] = [];
  for (const s of snapshots) {
    if (s.kind !== 'buddy' || !Array.isArray(s.data)) continue;
    for (const zone of s.data.map(obj)) {
      const byType = obj(zone.by_type);
      const types = Object.keys(byType);
      const orders = Math.max(0, ...types.map((t) => (Array.isArray(byType[t]) ? (byType[t] as unknown[]).length : 0)));
      out.push({
        title: `free blocks, zone ${str(zone.zone)}, ${s.when === 'hit' ? `at hit ${str(s.seq)}` : `at the ${s.when}`}`,
        rows: types,
        cols: Array.from({ length: orders }, (_, i) => `order ${i}`),
        values: types.map((t) => (byType[t] as unknown[]).map(Number)),
      });
    }
  }
  return out;
}

function buddyHeatmap(title: string, zones: ZoneFree[]): Heatmap {
  const orders = Math.max(0, ...zones.map((z) => z.free.length));
  return {
    title,
    rows: zones.map((z) => `node ${z.node} ${z.zone}`),
    cols: Array.from({ length: orders }, (_, i) => `order ${i}`),
    values: zones.map((z) => Array.from({ length: orders }, (_, i) => z.free[i] ?? 0)),
  };
}

function pagetypeHeatmap(title: string, info: PagetypeInfo): Heatmap {
  const rows = info.free.filter((f) => f.free.some((n) => n > 0) || f.type === 'Movable' || f.type === 'Unmovable');
  const orders = Math.max(0, ...rows.map((f) => f.free.length));
  return {
    title,
    rows: rows.map((f) => `${f.zone} ${f.type}`),
    cols: Array.from({ length: orders }, (_, i) => `order ${i}`),
    values: rows.map((f) => Array.from({ length: orders }, (_, i) => f.free[i] ?? 0)),
  };
}

function traceSections(r: RunReport, records: TraceRecord[]): void {
  const graph = records.some((x) => x.kind !== 'event');
  if (graph) {
    const tree = callTree(records);
    r.callTree = tree;
    const flame = flameFromCallTree(tree);
    r.flame = { title: 'function_graph call tree by inclusive time (click a frame to zoom)', unit: 'ns', tree: flame, frames: flameFrameCount(flame) };
    const exclusive = exclusiveByFunction(tree);
    const stats = functionStats(records);
    r.functions = {
      columns: ['function', 'calls', 'inclusive µs', 'exclusive µs', 'max µs', 'per CPU'],
      rows: stats.map((s) => [s.fn, s.calls, s.totalUs, Math.round((exclusive.get(s.fn) ?? 0) * 1000) / 1000, s.maxUs, Object.entries(s.perCpu).map(([c, n]) => `${c}:${n}`).join(' ')]),
    };
  }
  const counts = eventCounts(records);
  if (Object.keys(counts).length) r.events = { columns: ['event', 'count'], rows: Object.entries(counts).sort((a, b) => b[1] - a[1]) };
  const timed = records.filter((x): x is Extract<TraceRecord, { kind: 'event' }> => x.kind === 'event' && x.timestamp !== undefined);
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
    r.notes.push('the trace\'s events carry no timestamps (function_graph prints none), so they have no timeline');
  }
}

function scenarioSections(r: RunReport, files: RunFiles): void {
  const verdicts = Array.isArray(files.verdicts?.verdicts) ? files.verdicts.verdicts.map(obj) : [];
  r.verdicts = verdicts.map((v) => ({
    path: str(v.path),
    fired: v.fired === true,
    ok: v.ok === true,
    expected: v.expectedToFire === 'either' ? 'either' : v.expectedToFire ? 'fires' : 'stays quiet',
    rows: Array.isArray(v.rows) ? v.rows.map(obj).map((x) => ({ what: str(x.what), need: str(x.need), got: str(x.got), met: x.met === true })) : [],
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
  if (files.pagetypeBefore) (r.heatmaps ??= []).push(pagetypeHeatmap('pagetypeinfo before: free blocks per zone, migrate type and order', files.pagetypeBefore));
  if (files.pagetypeAfter) (r.heatmaps ??= []).push(pagetypeHeatmap('pagetypeinfo after', files.pagetypeAfter));
  const blocks = (info: PagetypeInfo | undefined) => new Map((info?.blocks ?? []).map((b) => [`node ${b.node} ${b.zone}`, b.counts]));
  const before = blocks(files.pagetypeBefore);
  const after = blocks(files.pagetypeAfter);
  if (before.size || after.size) {
    const types = [...new Set([...before.values(), ...after.values()].flatMap((c) => Object.keys(c)))];
    r.pageblocks = {
      columns: ['zone', ...types.flatMap((t) => [`${t} before`, `${t} after`])],
      rows: [...new Set([...before.keys(), ...after.keys()])].map((z) => [z, ...types.flatMap((t) => [before.get(z)?.[t] ?? null, after.get(z)?.[t] ?? null])]),
    };
  }
}

export function buildRunReport(files: RunFiles): RunReport {
  const m = files.manifest;
  const r: RunReport = {
    kind: str(m.kind),
    id: str(m.id),
    title: titleOf(m),
    header: header(m),
    exports: Array.isArray(m.exports) ? m.exports.map(str) : [],
    notes: [],
  };
  if (m.kind === 'scenario') scenarioSections(r, files);
  if (files.hits) debugSections(r, files.hits);
  if (files.records?.length) {
    const flame = r.flame;
    traceSections(r, files.records);
    // a scenario's picture is its backtraces when it has them; the trace's own tree stays in the call tree
    if (flame) r.flame = flame;
  }
  const snaps = snapshotHeatmaps(files.snapshots ?? []);
  if (snaps.length) r.heatmaps = [...(r.heatmaps ?? []), ...snaps];
  if (m.ok === false || m.error) r.notes.push(`the run did not finish as expected: ${str(obj(m.error).message ?? m.error ?? 'see manifest.json')}`);
  return r;
}
