/**
 * Two runs, or two groups of repeated runs, side by side (pure): every
 * figure both have, with each side's median and range and the ratio; a
 * difference inside the spread of the repeats is marked as such, not as a
 * change. Call paths seen on one side only, functions the two kernels
 * compiled differently, and verdicts that differ are listed.
 */
import { compareCallPaths, type FunctionDiff } from './call-paths.js';

export interface RunFigures {
  id: string;
  kind: string;
  /** Scenario name, or the breakpoints, or the tracer: what the run was. */
  what: string;
  kernel: string;
  /** The kernel's store key, when the run recorded one: where its System.map is. */
  kernelKey?: string;
  /** Figure name -> value: seconds, vmstat deltas, events, hits, trace calls. */
  figures: Record<string, number>;
  /** Collapsed stacks seen (hits.folded / trace.folded lines without their counts). */
  stacks: string[];
  /** Verdict per path: "fired" or "quiet". */
  verdicts: Record<string, string>;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export interface FigureRow {
  figure: string;
  a: Spread;
  b: Spread;
  /** b's median over a's; null when a's is 0. */
  ratio: number | null;
  /** The two ranges overlap: with repeats, no change can be told from noise. */
  withinSpread: boolean;
}

export interface Comparison {
  a: { runs: string[]; what: string; kernel: string };
  b: { runs: string[]; what: string; kernel: string };
  figures: FigureRow[];
  /** Call paths (outermost first, clone suffixes dropped) seen on one side only. */
  onlyA: string[];
  onlyB: string[];
  /** Functions the two sides show in different forms (clone, inlined, called), or on one side only. */
  functions: FunctionDiff[];
  verdicts: Array<{ path: string; a: string; b: string }>;
}

export function spread(values: number[]): Spread {
  const v = [...values].sort((x, y) => x - y);
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v[v.length - 1]!, n: v.length };
}

function summary(group: RunFigures[]) {
  const uniq = (xs: string[]) => [...new Set(xs)].join(', ');
  return {
    runs: group.map((r) => r.id),
    what: uniq(group.map((r) => r.what)),
    kernel: uniq(group.map((r) => r.kernel)),
  };
}

/** Compaction's own figures first, the rest of vmstat last. */
function rank(figure: string): number {
  const order = [/^wall time/, /^hits /, /^vmstat compact_/, /^score /, /^event /, /^calls /];
  const i = order.findIndex((re) => re.test(figure));
  return i === -1 ? order.length : i;
}

/**
 * Two groups of runs side by side; symbols, each side's kernel's function
 * names, tell a function inlined everywhere from one that was not called.
 */
export function compareGroups(
  a: RunFigures[],
  b: RunFigures[],
  symbols: { a?: Set<string>; b?: Set<string> } = {},
): Comparison {
  const names = [...new Set([...a, ...b].flatMap((r) => Object.keys(r.figures)))].sort(
    (x, y) => rank(x) - rank(y) || (x < y ? -1 : 1),
  );
  const figures: FigureRow[] = [];
  for (const figure of names) {
    const va = a.map((r) => r.figures[figure]).filter((x): x is number => x !== undefined);
    const vb = b.map((r) => r.figures[figure]).filter((x): x is number => x !== undefined);
    if (va.length === 0 || vb.length === 0) continue;
    const sa = spread(va);
    const sb = spread(vb);
    const repeated = sa.n > 1 || sb.n > 1;
    figures.push({
      figure,
      a: sa,
      b: sb,
      ratio: sa.median === 0 ? null : sb.median / sa.median,
      withinSpread: repeated && sa.min <= sb.max && sb.min <= sa.max,
    });
  }
  const paths = [...new Set([...a, ...b].flatMap((r) => Object.keys(r.verdicts)))].sort();
  const verdictOf = (g: RunFigures[], p: string) => {
    const seen = g.map((r) => r.verdicts[p]).filter((x): x is string => x !== undefined);
    const fired = seen.filter((x) => x === 'fired').length;
    if (seen.length === 0) return '-';
    return seen.every((x) => x === seen[0]) ? seen[0]! : `fired ${fired} of ${seen.length}`;
  };
  return {
    a: summary(a),
    b: summary(b),
    figures,
    ...compareCallPaths(
      a.flatMap((r) => r.stacks),
      b.flatMap((r) => r.stacks),
      symbols,
    ),
    verdicts: paths.map((p) => ({ path: p, a: verdictOf(a, p), b: verdictOf(b, p) })).filter((v) => v.a !== v.b),
  };
}

export interface RepeatSummary {
  runs: string[];
  figures: Array<{ figure: string; spread: Spread }>;
  /** Per path: how many of the runs it fired in. */
  verdicts: Array<{ path: string; fired: number; of: number }>;
}

/** N runs of one scenario: each of compaction's figures as median and range, each verdict as k of N (pure). */
export function summarizeRepeats(runs: RunFigures[]): RepeatSummary {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.figures)))]
    .filter((f) => rank(f) < 4)
    .sort((x, y) => rank(x) - rank(y) || (x < y ? -1 : 1));
  const paths = [...new Set(runs.flatMap((r) => Object.keys(r.verdicts)))].sort();
  return {
    runs: runs.map((r) => r.id),
    figures: names.map((figure) => ({
      figure,
      spread: spread(runs.map((r) => r.figures[figure]).filter((x): x is number => x !== undefined)),
    })),
    verdicts: paths.map((path) => ({
      path,
      fired: runs.filter((r) => r.verdicts[path] === 'fired').length,
      of: runs.filter((r) => r.verdicts[path] !== undefined).length,
    })),
  };
}
