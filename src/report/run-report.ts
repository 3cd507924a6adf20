import type { CallNode } from '../trace/call-tree.js';
import type { FlameNode } from './trees.js';

/**
 * What report.html shows (model.ts builds it from a run directory's files;
 * the page only draws it). Every section is optional: a run has what its kind
 * and its request produced.
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

/** Rows a table or timeline keeps: a page of a hot run stays a few MB. */
export const MAX_ROWS = 5000;
export const MAX_POINTS = 20000;
