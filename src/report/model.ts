import type { Hit } from '../gdb/hits.js';
import { RUN_FILES } from '../record/files.js';
import type { PagetypeInfo, ZoneFree } from '../sample/parse.js';
import type { TraceRecord } from '../trace/ftrace-parse.js';
import { asObject as obj, asText as str, type JsonObject } from '../util/json-narrow.js';
import { snapshotHeatmaps } from './heatmaps.js';
import { debugSections, scenarioSections, traceSections } from './sections.js';
import type { CallNode, FlameNode } from './trees.js';

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
  verdicts?: Array<{
    path: string;
    fired: boolean;
    ok: boolean;
    expected: string;
    rows: Array<{ what: string; need: string; got: string; met: boolean }>;
    why: string[];
  }>;
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

type Obj = JsonObject;

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
  if (m.kind === 'debug')
    return `lab debug --break ${Array.isArray(request.breakpoints) ? request.breakpoints.join(' --break ') : '?'}`;
  return `lab trace (${str(request.tracer)})`;
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
  if (m.ok === false || m.error)
    r.notes.push(
      `the run did not finish as expected: ${str(obj(m.error).message ?? m.error ?? `see ${RUN_FILES.manifest}`)}`,
    );
  return r;
}
