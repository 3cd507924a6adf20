import type { z } from 'zod';
import type { PagetypeInfo } from '../sample/parse.js';
import type { TraceRecord } from '../trace/ftrace-parse.js';
import type { Hit } from './hit-schema.js';
import type { sampleSchema, snapshotSchema, VerdictsFile } from './schemas.js';

/**
 * What a run recorded, as the exports and the report take it: in memory at
 * the end of a run, or read back from its directory (read-run.ts) by lab
 * report. Each part is there when the run's kind and request produced it.
 */
export interface RunContents {
  hits?: Hit[];
  snapshots?: Array<z.infer<typeof snapshotSchema>>;
  /** the trace, parsed once */
  records?: TraceRecord[];
  samples?: Array<z.infer<typeof sampleSchema>>;
  verdicts?: VerdictsFile;
  steps?: Array<{ t: number; label: string }>;
  pagetypeBefore?: PagetypeInfo;
  pagetypeAfter?: PagetypeInfo;
}
