import { EXIT_CODES, LabError } from '../errors.js';
import { createCliContext, type CliContext } from './context.js';

/**
 * Runs a command adapter and turns its result or error into the exit code:
 * the only place that sets one. A LabError is one line on stderr (and an
 * error object on stdout with --json); anything else is a bug, with its stack.
 */
export async function invoke(options: object, body: (cli: CliContext) => Promise<number | void>): Promise<void> {
  const cli = createCliContext(options);
  try {
    const code = await body(cli);
    process.exitCode = typeof code === 'number' ? code : 0;
  } catch (err) {
    if (err instanceof LabError) {
      if (cli.json)
        process.stdout.write(
          JSON.stringify({ error: { code: err.code, message: err.message, hint: err.hint } }) + '\n',
        );
      process.stderr.write(`lab: ${err.line()}\n`);
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(`lab: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = EXIT_CODES.internal;
    }
  }
}
