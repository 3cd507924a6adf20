import { shellQuote } from '../util/shell-quote.js';
import { programName, type Program } from './programs.js';

/**
 * One process to start, as data: what plans return and tests read without
 * running anything.
 */
export interface Command {
  program: Program;
  args: string[];
  cwd?: string;
  /** Variables added to lab's own environment. */
  env?: Record<string, string>;
  /** What the step is, for messages: "make bzImage". */
  what: string;
}

/** The command as one line a user can paste into a shell (for logs and messages only: lab never runs a shell line). */
export function formatCommand(command: Command): string {
  const env = Object.entries(command.env ?? {}).map(([k, v]) => `${k}=${shellQuote(v)}`);
  return [...env, programName(command.program), ...command.args]
    .map((w, i) => (i < env.length ? w : shellQuote(w)))
    .join(' ');
}
