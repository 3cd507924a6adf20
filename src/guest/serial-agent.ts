import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { LabError, InterruptedError } from '../errors.js';
import {
  AgentReplyParser,
  execRequest,
  pingRequest,
  putRequest,
  resumeRequest,
  type ExecReply,
} from './agent-protocol.js';

interface Exchange {
  request: string;
  parser: AgentReplyParser;
  timeoutMs: number;
  signal?: AbortSignal;
  what: string;
}

function newId(): string {
  return randomBytes(6).toString('hex');
}

function exchange(socketPath: string, ex: Exchange): Promise<AgentReplyParser> {
  return new Promise((resolve, reject) => {
    if (ex.signal?.aborted) return reject(new InterruptedError(ex.what));
    const socket = net.createConnection(socketPath);
    let buffer = '';
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ex.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve(ex.parser);
    };
    const onAbort = () => settle(new InterruptedError(ex.what));
    ex.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () =>
        settle(
          new LabError(
            'GUEST_TIMEOUT',
            `the guest did not finish ${ex.what} within ${Math.round(ex.timeoutMs / 1000)} s`,
          ),
        ),
      ex.timeoutMs,
    );
    socket.on('connect', () => socket.write(ex.request));
    socket.on('error', (err) => settle(err));
    socket.on('close', () =>
      settle(
        new LabError('GUEST_GONE', `the guest channel closed during ${ex.what}`, {
          hint: 'is the VM still running? see lab status',
        }),
      ),
    );
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (ex.parser.feed(line)) return settle();
      }
    });
  });
}

/** True when the agent answers within timeoutMs. */
export async function agentPing(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  const id = newId();
  try {
    const parser = await exchange(socketPath, {
      request: pingRequest(id),
      parser: new AgentReplyParser(id),
      timeoutMs,
      what: 'ping',
    });
    return parser.pong;
  } catch {
    return false;
  }
}

/** Runs argv in the guest; the arguments arrive byte for byte as a list. */
export async function agentExec(
  socketPath: string,
  argv: string[],
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ExecReply> {
  const id = newId();
  const parser = await exchange(socketPath, {
    request: execRequest(id, argv),
    parser: new AgentReplyParser(id),
    timeoutMs: options.timeoutMs ?? 120_000,
    signal: options.signal,
    what: `running ${argv[0]}`,
  });
  return parser.reply();
}

/** Writes data to guestPath; the exit code is base64 -d's in the guest. */
export async function agentPut(
  socketPath: string,
  guestPath: string,
  data: Buffer,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const id = newId();
  const parser = await exchange(socketPath, {
    request: putRequest(id, guestPath, data),
    parser: new AgentReplyParser(id),
    timeoutMs: options.timeoutMs ?? 300_000,
    signal: options.signal,
    what: `copying to ${guestPath}`,
  });
  return parser.exitCode ?? 1;
}

/** Runs the guest's lab-resume with these words (digits and hex); its exit code. */
export async function agentResume(socketPath: string, words: string[], timeoutMs: number): Promise<number> {
  const id = newId();
  const parser = await exchange(socketPath, {
    request: resumeRequest(id, words),
    parser: new AgentReplyParser(id),
    timeoutMs,
    what: 'resuming the restored guest',
  });
  return parser.exitCode ?? 1;
}
