import net from 'node:net';
import { LabError } from '../errors.js';

export async function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Fails with PORT_IN_USE, naming the option to change, when something holds the port on 127.0.0.1. */
export async function assertPortFree(port: number, what: 'gdb' | 'ssh' | 'kgdb' = 'gdb'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new LabError('PORT_IN_USE', `port ${port} on 127.0.0.1 is already in use`, {
              hint: `pass --${what}-port with a free port, or stop what holds ${port}`,
            })
          : err,
      );
    });
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve()));
  });
}
