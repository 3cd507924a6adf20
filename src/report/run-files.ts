import type { Hit } from '../gdb/hits.js';
import type { PagetypeInfo } from '../sample/parse.js';
import type { Sample } from '../sample/sample.js';
import type { TraceRecord } from '../trace/ftrace-parse.js';

/** One line of a debug run's snapshots.jsonl (lab debug --snapshot): what was read, and when. */
export interface Snapshot {
  when: string;
  seq?: number;
  kind: string;
  data: unknown;
}

/** A run directory's files as read-run.ts reads them: what model.ts builds a report from. */
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
