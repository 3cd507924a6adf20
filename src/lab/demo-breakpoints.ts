import type { Trigger } from '../config/triggers.js';

/**
 * What lab demo records, apart from the demo itself (which builds and boots):
 * a module light enough for lab exercise to say which exercise the demo does.
 */

/** The breakpoints the seed set by hand. */
export const DEMO_BREAKPOINTS = [
  'kcompactd',
  'kcompactd_do_work',
  'compact_zone',
  'compact_unlock_should_abort',
  'isolate_freepages_block',
];

/** The trigger the demo runs once they are armed: a manual compaction. */
export const DEMO_TRIGGER: Trigger = 'compact';
