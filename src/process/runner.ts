import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { LabError, InterruptedError } from '../errors.js';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Every line of stdout and stderr is appended here. */
  logFile?: string;
  onLine?: (line: string) => void;
  signal?: AbortSignal;
  /** What the step is, for messages: "make bzImage". */
  what: string;
}

export interface RunResult {
  exitCode: number;
  tail: string[];
}

const TAIL_LINES = 20;

/**
 * Runs a command in its own process group and waits for it. Interrupting (the
 * signal) kills the whole group: make's parallel jobs and their compilers go
 * too, which killing only the direct child would leave running.
 */
export function runGroup(cmd: string, args: string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new InterruptedError(options.what));
      return;
    }
    const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const tail: string[] = [];
    const consume = (stream: NodeJS.ReadableStream) => {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        log?.write(chunk);
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          tail.push(line);
          if (tail.length > TAIL_LINES) tail.shift();
          options.onLine?.(line);
        }
      });
    };
    consume(child.stdout!);
    consume(child.stderr!);
    let interrupted = false;
    const onAbort = () => {
      interrupted = true;
      killGroup(child.pid, 'SIGTERM');
      setTimeout(() => killGroup(child.pid, 'SIGKILL'), 3000).unref();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => {
      options.signal?.removeEventListener('abort', onAbort);
      log?.end();
      const code = (err as NodeJS.ErrnoException).code;
      reject(
        code === 'ENOENT'
          ? new LabError('TOOL_MISSING', `${cmd} is not installed (needed for ${options.what})`, {
              hint: 'run lab doctor to see what to install',
            })
          : err,
      );
    });
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      // make's jobs may outlive make itself when it is killed; leave none behind.
      killGroup(child.pid, 'SIGKILL');
      log?.end();
      if (interrupted) reject(new InterruptedError(options.what));
      else resolve({ exitCode: code ?? (signal ? 128 : 1), tail });
    });
  });
}

/** Runs a command and fails with its last lines when it exits non-zero. */
export async function runChecked(cmd: string, args: string[], options: RunOptions): Promise<RunResult> {
  const result = await runGroup(cmd, args, options);
  if (result.exitCode !== 0) {
    const last = result.tail.filter((l) => l.trim()).slice(-8).join('\n  ');
    const where = options.logFile ? ` (full log: ${options.logFile})` : '';
    throw new LabError('STEP_FAILED', `${options.what} failed with exit code ${result.exitCode}${where}\n  ${last}`);
  }
  return result;
}

export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
