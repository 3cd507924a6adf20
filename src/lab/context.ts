import type { LabPaths } from '../config/paths.js';
import type { Progress } from '../progress/progress.js';
import type { Store } from '../store/store.js';

/** What every use case is given: where things are, how to report progress, how to be interrupted. */
export interface LabContext {
  store: Store;
  paths: LabPaths;
  progress: Progress;
  signal: AbortSignal;
  /** The command line as the user typed it, for run manifests. */
  commandLine: string[];
  /** debug, trace and run write report.html at the end unless this is false (--no-report). */
  report?: boolean;
}
