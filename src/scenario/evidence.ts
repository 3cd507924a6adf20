import { hitsPerFunction, type Hit } from '../gdb/hits.js';
import { vmstatDelta } from '../sample/parse.js';
import type { Snapshot } from '../sample/snapshot.js';
import type { TraceSummary } from '../trace/trace.js';
import type { Scenario } from './schema.js';
import type { Evidence } from './verdict.js';

export function scoreSummary(series: Snapshot[]): Evidence['score'] {
  if (!series.length) return undefined;
  const scores = series.map((s) => s.score);
  return { first: scores[0]!, max: Math.max(...scores), last: scores.at(-1)!, samples: scores.length };
}

export interface Observations {
  before: Snapshot;
  after: Snapshot;
  /** The samples between before and after. */
  samples: Snapshot[];
  trace?: TraceSummary;
  hits: Array<Pick<Hit, 'function'>>;
  proactiveness?: number;
  thpDefrag?: string;
}

/** What a run showed, gathered from its observations (pure). */
export function collectEvidence(scenario: Scenario, o: Observations): Evidence {
  return {
    counters: vmstatDelta(o.before.vmstat, o.after.vmstat, () => true),
    events: o.trace?.events ?? {},
    hits: Object.fromEntries(hitsPerFunction(o.hits).map((r) => [r.function, r.hits])),
    calls: Object.fromEntries((o.trace?.functions ?? []).map((f) => [f.fn, f.calls])),
    score: scoreSummary([o.before, ...o.samples, o.after]),
    tracedCalls: scenario.trace?.pidOf ? (o.trace?.functions ?? []).reduce((s, f) => s + f.calls, 0) : undefined,
    proactiveness: o.proactiveness,
    thpDefrag: o.thpDefrag,
  };
}
