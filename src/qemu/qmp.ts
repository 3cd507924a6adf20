import net from 'node:net';
import { LabError } from '../errors.js';

/**
 * A minimal QMP client: connect to the unix socket, negotiate capabilities,
 * run one command, close. Enough for quit and query-status.
 */
export async function qmpCommand(socketPath: string, execute: string, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let buffer = '';
    let phase: 'greeting' | 'capabilities' | 'command' = 'greeting';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new LabError('QMP_TIMEOUT', `QEMU did not answer ${execute} on ${socketPath} within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (err: Error | undefined, value?: unknown) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    socket.on('error', (err) => finish(err));
    socket.on('close', () => {
      // quit closes the connection before or instead of answering
      if (phase === 'command' && execute === 'quit') finish(undefined, {});
    });
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as Record<string, unknown>;
        if ('event' in msg) continue;
        if (phase === 'greeting' && 'QMP' in msg) {
          phase = 'capabilities';
          socket.write(JSON.stringify({ execute: 'qmp_capabilities' }) + '\n');
        } else if (phase === 'capabilities' && 'return' in msg) {
          phase = 'command';
          socket.write(JSON.stringify({ execute }) + '\n');
        } else if (phase === 'command') {
          if ('error' in msg) finish(new Error(`QMP ${execute}: ${JSON.stringify(msg.error)}`));
          else finish(undefined, msg.return);
        }
      }
    });
  });
}
