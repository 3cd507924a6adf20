import { labDir, labPaths, storeRoot, type LabPaths } from '../config/paths.js';
import { Store } from '../store/store.js';
import { createProgress, progressMode, type Progress } from '../progress/progress.js';

export interface GlobalOptions {
  labDir?: string;
  json?: boolean;
}

/** What every command gets: where things are, how to report, how to be interrupted. */
export interface CommandContext {
  store: Store;
  paths: LabPaths;
  progress: Progress;
  json: boolean;
  signal: AbortSignal;
  out: (text: string) => void;
}

let controller: AbortController | undefined;

/**
 * Ctrl-C is a normal input: the first one aborts the running step, which cleans
 * up after itself (process groups killed, scratch entries removed, gdb
 * detached); a second one exits at once.
 */
function interruptSignal(): AbortSignal {
  if (!controller) {
    const c = new AbortController();
    controller = c;
    const onSignal = () => {
      if (c.signal.aborted) process.exit(130);
      c.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  return controller.signal;
}

export function createContext(options: GlobalOptions): CommandContext {
  const json = options.json ?? false;
  return {
    store: new Store(storeRoot()),
    paths: labPaths(labDir(options.labDir)),
    progress: createProgress(progressMode({ json })),
    json,
    signal: interruptSignal(),
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  };
}
