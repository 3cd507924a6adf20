import { readdir, readFile, readlink } from 'node:fs/promises';

/** A socket a process listens on: TCP with its address, or a unix socket with its path. */
export type Listener = { kind: 'tcp'; address: string; port: number } | { kind: 'unix'; path: string };

const TCP_LISTEN = '0A';

function ipv4FromHex(hex: string): string {
  // /proc/net/tcp stores the address as a little-endian 32-bit number
  return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
}

function ipv6FromHex(hex: string): string {
  const words: string[] = [];
  for (let w = 0; w < 4; w++) {
    const chunk = hex.slice(w * 8, w * 8 + 8);
    const bytes = [6, 4, 2, 0].map((i) => chunk.slice(i, i + 2)).join('');
    words.push(bytes.slice(0, 4), bytes.slice(4, 8));
  }
  return words
    .map((x) => parseInt(x, 16).toString(16))
    .join(':')
    .replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** Listening TCP sockets from /proc/net/tcp or tcp6 text, by inode (pure). */
export function parseProcNetTcp(text: string, v6: boolean): Map<string, { address: string; port: number }> {
  const out = new Map<string, { address: string; port: number }>();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== TCP_LISTEN) continue;
    const [addrHex, portHex] = f[1]!.split(':');
    out.set(f[9]!, { address: v6 ? ipv6FromHex(addrHex!) : ipv4FromHex(addrHex!), port: parseInt(portHex!, 16) });
  }
  return out;
}

/** Listening unix sockets from /proc/net/unix text, by inode (pure). */
export function parseProcNetUnix(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // Flags 00010000 is __SO_ACCEPTCON: a listening socket
    if (f.length >= 8 && f[3] === '00010000') out.set(f[6]!, f[7]!);
  }
  return out;
}

/** Every socket the process listens on. */
export async function listeningSockets(pid: number): Promise<Listener[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) inodes.add(m[1]!);
  }
  const read = (f: string) => readFile(`/proc/${pid}/net/${f}`, 'utf8').catch(() => '');
  const tcp = [...parseProcNetTcp(await read('tcp'), false), ...parseProcNetTcp(await read('tcp6'), true)];
  const unix = parseProcNetUnix(await read('unix'));
  const result: Listener[] = [];
  for (const [inode, l] of tcp) if (inodes.has(inode)) result.push({ kind: 'tcp', ...l });
  for (const [inode, p] of unix) if (inodes.has(inode)) result.push({ kind: 'unix', path: p });
  return result;
}
