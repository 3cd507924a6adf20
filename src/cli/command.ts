import type { ArgumentsCamelCase, Argv } from 'yargs';
import { invoke } from './invoke.js';
import type { CliContext, GlobalOptions } from './context.js';
import type { GlobalArgs } from './options.js';

/**
 * One command: its options, declared once; the use case's input built from
 * what they parse to (pure, so a test reaches it with any argv); and the call.
 * The argv is typed from the declaration: yargs infers it, nothing casts it.
 */
export interface CommandSpec<A, R> {
  /** The command and its positionals, as yargs reads them: 'pack [runs..]'. */
  command: string;
  describe: string;
  options: (y: Argv<GlobalArgs>) => Argv<A>;
  request: (argv: ArgumentsCamelCase<A>) => R;
  run: (cli: CliContext, request: R) => Promise<number | void>;
}

/** A spec, its argv and request types inferred from its own fields. */
export function defineCommand<A, R>(spec: CommandSpec<A, R>): CommandSpec<A, R> {
  return spec;
}

/** Any command, whatever its argv and request. */
export interface AnyCommand {
  command: string;
  register(y: Argv<GlobalArgs>, handle?: (request: unknown) => Promise<void>): Argv<GlobalArgs>;
}

/**
 * The spec as yargs registers it. A test hands its own `handle` to receive
 * the request instead of running the use case.
 */
export function commandOf<A, R>(spec: CommandSpec<A, R>): AnyCommand {
  return {
    command: spec.command,
    register: (y, handle) =>
      y.command(spec.command, spec.describe, spec.options, (argv) =>
        handle ? handle(spec.request(argv)) : invoke(globalsOf(argv), (cli) => spec.run(cli, spec.request(argv))),
      ),
  };
}

/** What an options builder parses to, as a handler receives it (kebab-case and camelCase keys). */
export type ArgsOf<B> = B extends (y: Argv<GlobalArgs>) => Argv<infer A> ? ArgumentsCamelCase<A> : never;

/** The global options of any command's argv, read by their types. */
function globalsOf(argv: { [name: string]: unknown }): GlobalOptions {
  return {
    labDir: typeof argv.labDir === 'string' ? argv.labDir : undefined,
    json: argv.json === true,
    report: argv.report !== false,
  };
}
