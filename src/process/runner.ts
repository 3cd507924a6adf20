import { closeSync, createWriteStream, openSync, type WriteStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { execa } from 'execa';
import { InterruptedError, LabError } from '../errors.js';
import { formatCommand, type Command } from './command.js';
import { programName } from './programs.js';
import { killGroup } from './signals.js';

export interface ExecuteOptions {
  signal?: AbortSignal;
  /** Ends the process group after this long; the result says timedOut. */
  timeoutMs?: number;
  /** After SIGTERM (on abort or timeout), SIGKILL this much later. */
  killAfterMs?: number;
  /** Every byte of stdout and stderr is appended here. */
  logFile?: string;
  /** Each line of output as it arrives. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * The terminal's own stdin/stdout/stderr (gdb, ssh to a shell); nothing is
   * captured, and the process stays in lab's process group, the terminal's
   * foreground, so Ctrl-C reaches it.
   */
  inherit?: boolean;
  /** Bytes for stdin (none by default). */
  input?: Buffer | string;
  /** A file streamed to stdin: input too large to hold in memory. */
  inputFile?: string;
  /** A file the child reads on its own, open read-only as its descriptor INHERITED_FD. */
  inheritFile?: string;
}

/** The child's descriptor for ExecuteOptions.inheritFile: the one after stdin, stdout and stderr. */
export const INHERITED_FD = 3;

/** What every process run by lab gives back, success or not. */
export interface ProcessResult {
  command: Command;
  exitCode: number;
  /** The signal that ended it, if one did. */
  signal?: string;
  stdout: Buffer;
  stderr: Buffer;
  /** The last lines of output, for messages. */
  tail: string[];
  timedOut: boolean;
  durationMs: number;
}

/** A process started and not yet awaited: gdb, a probe boot. */
export interface RunningProcess {
  pid: number | undefined;
  /** Sends a signal to the process group (gdb detaches on SIGINT). */
  signalGroup(signal: NodeJS.Signals): void;
  /** SIGTERM to the group now, SIGKILL after killAfterMs. */
  stop(): void;
  result: Promise<ProcessResult>;
}

const TAIL_LINES = 20;

function toBuffer(x: unknown): Buffer {
  if (x === undefined || x === null) return Buffer.alloc(0);
  if (typeof x === 'string') return Buffer.from(x);
  const u = x as Uint8Array;
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/**
 * The parent's descriptor as the child's next one. execa hands a descriptor
 * number in stdio[3+] to spawn as it is; its types name only 0, 1 and 2.
 */
function descriptors(fd: number | undefined): 'ignore'[] {
  return fd === undefined ? [] : [fd as unknown as 'ignore'];
}

/**
 * Starts a command in its own process group. Aborting the signal, or the
 * timeout, ends the whole group (SIGTERM, then SIGKILL), which killing only
 * the direct child would not: make's jobs would run on. A program that is not
 * installed is a TOOL_MISSING error naming it.
 */
export function launch(command: Command, options: ExecuteOptions = {}): RunningProcess {
  if (options.signal?.aborted) {
    const rejected = Promise.reject(new InterruptedError(command.what));
    rejected.catch(() => undefined);
    return { pid: undefined, signalGroup() {}, stop() {}, result: rejected };
  }
  const started = Date.now();
  const stdin = options.input === undefined && !options.inputFile ? 'ignore' : 'pipe';
  const inherited = options.inheritFile === undefined ? undefined : openSync(options.inheritFile, 'r');
  const child = execa(programName(command.program), command.args, {
    cwd: command.cwd,
    env: command.env,
    detached: !options.inherit,
    reject: false,
    encoding: 'buffer',
    stripFinalNewline: false,
    maxBuffer: 1 << 30,
    stdio: options.inherit ? 'inherit' : [stdin, 'pipe', 'pipe', ...descriptors(inherited)],
    ...(options.input !== undefined ? { input: options.input } : {}),
    ...(options.inputFile ? { inputFile: options.inputFile } : {}),
  });
  const log: WriteStream | undefined = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  const tail: string[] = [];
  const follow = (stream: NodeJS.ReadableStream | null, name: 'stdout' | 'stderr') => {
    if (!stream) return;
    const decoder = new StringDecoder('utf8');
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      log?.write(chunk);
      pending += decoder.write(chunk);
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        options.onLine?.(line, name);
      }
    });
  };
  follow(child.stdout, 'stdout');
  follow(child.stderr, 'stderr');

  let interrupted = false;
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const kill = (s: NodeJS.Signals) => (options.inherit ? child.kill(s) : killGroup(child.pid, s));
  const stop = () => {
    kill('SIGTERM');
    killTimer ??= setTimeout(() => kill('SIGKILL'), options.killAfterMs ?? 3000);
  };
  const onAbort = () => {
    interrupted = true;
    stop();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = options.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        stop();
      }, options.timeoutMs)
    : undefined;

  const result = (async (): Promise<ProcessResult> => {
    const r = await child;
    if (inherited !== undefined) closeSync(inherited);
    clearTimeout(timer);
    clearTimeout(killTimer);
    options.signal?.removeEventListener('abort', onAbort);
    // jobs may outlive their leader when it is killed; leave none behind
    if (!options.inherit) killGroup(child.pid, 'SIGKILL');
    await new Promise<void>((resolve) => (log ? log.end(resolve) : resolve()));
    if ((r as { code?: string }).code === 'ENOENT') {
      throw new LabError(
        'TOOL_MISSING',
        `${programName(command.program)} is not installed (needed for ${command.what})`,
      );
    }
    if (interrupted) throw new InterruptedError(command.what);
    return {
      command,
      exitCode: r.exitCode ?? (r.signal ? 128 : 1),
      signal: r.signal ?? undefined,
      stdout: toBuffer(r.stdout),
      stderr: toBuffer(r.stderr),
      tail,
      timedOut,
      durationMs: Date.now() - started,
    };
  })();
  return { pid: child.pid, signalGroup: kill, stop, result };
}

/**
 * Starts a command that outlives lab and is not waited for (ssh's shared
 * connection, which puts itself in the background once it is up): its own
 * process group, nothing captured, and lab may exit before it is done.
 */
export function launchDetached(command: Command): void {
  const child = execa(programName(command.program), command.args, {
    cwd: command.cwd,
    env: command.env,
    detached: true,
    stdio: 'ignore',
    reject: false,
    cleanup: false,
  });
  child.catch(() => undefined);
  child.unref();
}

/** Runs a command to its end; a non-zero exit is in the result, not thrown. */
export function execute(command: Command, options: ExecuteOptions = {}): Promise<ProcessResult> {
  return launch(command, options).result;
}

/** Runs a command and fails with its last lines when it exits non-zero. */
export async function executeChecked(command: Command, options: ExecuteOptions = {}): Promise<ProcessResult> {
  const result = await execute(command, options);
  if (result.exitCode !== 0 || result.timedOut) {
    const last = result.tail
      .filter((l) => l.trim())
      .slice(-8)
      .join('\n  ');
    const where = options.logFile ? ` (full log: ${options.logFile})` : '';
    const how = result.timedOut
      ? `did not finish within ${Math.round((options.timeoutMs ?? 0) / 1000)} s`
      : `failed with exit code ${result.exitCode}`;
    throw new LabError('STEP_FAILED', `${command.what} ${how}${where}\n  ${last}`, {
      hint: `the command was: ${formatCommand(command)}`,
    });
  }
  return result;
}

/** The first line of a program's --version. */
export async function versionLine(command: Command): Promise<string> {
  const r = await executeChecked(command);
  return r.stdout.toString().split('\n')[0]!.trim();
}
