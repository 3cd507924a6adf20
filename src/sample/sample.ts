import type { ZoneFree } from './parse.js';

/**
 * One line of a scenario run's samples.jsonl: what the report's series, the
 * scenario's chart and trace.json's counter tracks are drawn from.
 */
export interface Sample {
  /** seconds since the sampler started */
  t: number;
  /** node 0's fragmentation score, as the kernel computes it for proactive compaction */
  score: number;
  vmstat: Record<string, number>;
  buddyinfo?: ZoneFree[];
}
