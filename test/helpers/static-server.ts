import { existsSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';

export interface Served {
  url: string;
  requests: Array<{ url: string; range?: string }>;
  /** Per path: stop after this many bytes and hold the connection (a slow or stalled server). */
  stallAfter: Map<string, number>;
  server: http.Server;
}

/**
 * A folder as any static web server serves it, on 127.0.0.1: 404 for what is
 * not there, Range honoured, every request remembered. Stop it with closeServer.
 */
export async function serveFolder(root: string): Promise<Served> {
  const served: Omit<Served, 'url' | 'server'> = { requests: [], stallAfter: new Map() };
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
    served.requests.push({ url: rel, range: req.headers.range });
    const file = path.join(root, rel);
    if (!file.startsWith(root) || !existsSync(file) || statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    let body = readFileSync(file);
    const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    res.writeHead(from > 0 ? 206 : 200, { 'content-length': body.length - from });
    body = body.subarray(from);
    const stall = served.stallAfter.get(rel);
    if (stall !== undefined) {
      res.write(body.subarray(0, stall));
      return; // held open until the client goes
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { ...served, url: `http://127.0.0.1:${port}/`, server };
}
