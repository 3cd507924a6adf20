import { labDir, labPaths, storeRoot } from '../config/paths.js';
import type { LabContext } from '../lab/context.js';
import { createProgress, progressMode } from '../progress/progress.js';
import { Store } from '../store/store.js';

export interface GlobalOptions {
  labDir?: string;
  json?: boolean;
  report?: boolean;
}

/** What a command adapter has: the use cases' context, and where its output goes. */
export interface CliContext {
  lab: LabContext;
  json: boolean;
  /** A line (or block) on stdout. */
  out(text: string): void;
  /** Raw bytes on stdout and stderr (lab exec). */
  write(stdout: Buffer | string, stderr?: Buffer | string): void;
  /**
   * Hands the terminal to a child (gdb, ssh): from now on Ctrl-C is the
   * child's input (gdb stops the guest with it), and lab ignores it.
   */
  yieldTerminal(): void;
}

let controller: AbortController | undefined;

/**
 * Ctrl-C is a normal input: the first one aborts the running step, which
 * cleans up after itself (process groups killed, scratch entries removed, gdb
 * detached, guest settings restored); a second one exits at once.
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

export function createCliContext(options: GlobalOptions): CliContext {
  const json = options.json ?? false;
  const progress = createProgress(progressMode({ json }));
  const signal = interruptSignal();
  const store = new Store(storeRoot(), {
    signal,
    onWait: (what, holder) =>
      progress.notice(
        `lab: waiting for ${holder ? `lab process ${holder.pid} on ${holder.host}` : 'another lab process'}, ` +
          `which is making ${what} in the store`,
      ),
  });
  return {
    lab: {
      store,
      paths: labPaths(labDir(options.labDir)),
      progress,
      signal,
      commandLine: process.argv.slice(2),
      report: options.report,
    },
    json,
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    yieldTerminal: () => {
      process.removeAllListeners('SIGINT');
      process.on('SIGINT', () => undefined);
    },
    write: (stdout, stderr) => {
      process.stdout.write(stdout);
      if (stderr !== undefined) process.stderr.write(stderr);
    },
  };
}

/** The words after "--", or the positional words after the command's name. */
export function trailingWords(args: { _: Array<string | number>; '--'?: Array<string | number> }): string[] {
  return (args['--'] ?? args._.slice(1)).map(String);
}
