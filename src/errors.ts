/**
 * Errors a user can act on. Each has a stable code (for --json and tests), a
 * message saying what is wrong, and a hint saying what to do; the CLI prints them
 * as one line and sets a non-zero exit code. Anything else is a bug and keeps its
 * stack.
 */
export class LabError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(code: string, message: string, options: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LabError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }

  /** The one line shown to the user. */
  line(): string {
    return this.hint ? `${this.message}: ${this.hint}` : this.message;
  }
}

export class InterruptedError extends LabError {
  constructor(what: string) {
    super('INTERRUPTED', `${what} interrupted`, { exitCode: 130 });
  }
}
