import net from 'node:net';
import { LabError } from '../errors.js';

/** What to do after one line from QEMU: write a line, finish with a value or an error, or wait. */
export type QmpStep = { send: string } | { value: unknown } | { error: LabError } | { wait: true };

/**
 * The QMP conversation for one command, as a pure state machine: greeting,
 * qmp_capabilities, the command, its answer. Events are skipped; a line that
 * is not JSON (a torn line) or an error answer ends it with a QMP_FAILED error.
 */
export class QmpConversation {
  private phase: 'greeting' | 'capabilities' | 'command' = 'greeting';

  constructor(
    readonly execute: string,
    readonly args?: Record<string, unknown>,
  ) {}

  get sentCommand(): boolean {
    return this.phase === 'command';
  }

  feed(line: string): QmpStep {
    if (!line.trim()) return { wait: true };
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return {
        error: new LabError('QMP_FAILED', `QEMU's QMP answer to ${this.execute} is not JSON: ${line.slice(0, 80)}`),
      };
    }
    if ('event' in msg) return { wait: true };
    if (this.phase === 'greeting' && 'QMP' in msg) {
      this.phase = 'capabilities';
      return { send: JSON.stringify({ execute: 'qmp_capabilities' }) };
    }
    if ('error' in msg) {
      const e = msg.error as { desc?: string; class?: string };
      return {
        error: new LabError(
          'QMP_FAILED',
          `QMP ${this.phase === 'command' ? this.execute : 'qmp_capabilities'} ` +
`failed: ${e?.desc ?? JSON.stringify(msg.error)}`,
        ),
      };
    }
    if (this.phase === 'capabilities' && 'return' in msg) {
      this.phase = 'command';
      return { send: JSON.stringify({ execute: this.execute, ...(this.args ? { arguments: this.args } : {}) }) };
    }
    if (this.phase === 'command' && 'return' in msg) return { value: msg.return };
    return { wait: true };
  }
}

/** Connects to QEMU's QMP unix socket, runs one command, closes. */
export function qmpCommand(
  socketPath: string,
  execute: string,
  timeoutMs = 5000,
  args?: Record<string, unknown>,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    const conversation = new QmpConversation(execute, args);
    let buffer = '';
    let settled = false;
    const finish = (err: Error | undefined, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(
      () =>
        finish(new LabError('QMP_TIMEOUT', `QEMU did not answer ${execute} on ${socketPath} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('error', (err) => finish(new LabError('QMP_FAILED', `QMP socket ${socketPath}: ${err.message}`)));
    socket.on('close', () => {
      // quit closes the connection before or instead of answering
      if (conversation.sentCommand && execute === 'quit') finish(undefined, {});
      else finish(new LabError('QMP_FAILED', `QEMU closed the QMP socket before answering ${execute}`));
    });
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const step = conversation.feed(line);
        if ('send' in step) socket.write(step.send + '\n');
        else if ('value' in step) return finish(undefined, step.value);
        else if ('error' in step) return finish(step.error);
      }
    });
  });
}
