import type { Server } from 'node:http';

/**
 * Stops a test's HTTP server at once. server.close() alone waits for every
 * open connection, and a browser's speculative preconnect (a socket that never
 * sends a request) holds it until Node's headersTimeout, 60 s.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
