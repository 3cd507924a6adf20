/**
 * The host's clients of QEMU's QMP socket and of the initramfs agent's serial
 * socket, each against a fake unix-socket server speaking the protocol (or
 * breaking it).
 */
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors.js';
import { agentExec, agentPing } from '../../src/guest/serial-agent.js';
import { QmpConversation, qmpCommand } from '../../src/qemu/qmp.js';
import { tempDir } from '../helpers/cli.js';

const servers: net.Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

/** A unix-socket server that answers each line it reads with what `reply` returns. */
async function fakeServer(
  onConnect: (socket: net.Socket) => void,
  reply: (line: string, socket: net.Socket) => void,
): Promise<string> {
  const file = path.join(tempDir('sock'), 's.sock');
  const server = net.createServer((socket) => {
    onConnect(socket);
    let buffer = '';
    socket.on('data', (d) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        reply(line, socket);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(file, r));
  return file;
}

const greeting = (s: net.Socket) => s.write('{"QMP": {"version": {}, "capabilities": []}}\n');

describe('QMP', () => {
  it('negotiates capabilities, skips events, and returns the answer', async () => {
    const sock = await fakeServer(greeting, (line, s) => {
      const { execute } = JSON.parse(line) as { execute: string };
      if (execute === 'qmp_capabilities') s.write('{"return": {}}\n');
      else s.write('{"event": "RESUME", "timestamp": {}}\n{"return": {"status": "running", "running": true}}\n');
    });
    expect(await qmpCommand(sock, 'query-status')).toEqual({ status: 'running', running: true });
  });

  it('turns a torn line into one QMP_FAILED error, not a crash in a socket listener', async () => {
    const sock = await fakeServer(greeting, (_line, s) => s.write('{"return": {"stat\n'));
    const err = await qmpCommand(sock, 'query-status').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('QMP_FAILED');
    expect((err as LabError).message).toMatch(/not JSON/);
  });

  it("reports QEMU's error answer by its description", async () => {
    const sock = await fakeServer(greeting, (line, s) => {
      const { execute } = JSON.parse(line) as { execute: string };
      s.write(
        execute === 'qmp_capabilities'
          ? '{"return": {}}\n'
          : '{"error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}\n',
      );
    });
    await expect(qmpCommand(sock, 'nope')).rejects.toThrow('QMP nope failed: The command nope has not been found');
  });

  it('takes quit answered by a closed socket as done, and times out on silence', async () => {
    const quitting = await fakeServer(greeting, (line, s) => {
      if (line.includes('qmp_capabilities')) s.write('{"return": {}}\n');
      else s.end();
    });
    expect(await qmpCommand(quitting, 'quit')).toEqual({});
    const silent = await fakeServer(
      () => undefined,
      () => undefined,
    );
    await expect(qmpCommand(silent, 'query-status', 200)).rejects.toMatchObject({ code: 'QMP_TIMEOUT' });
  });

  it('is a state machine that tests can drive line by line', () => {
    const c = new QmpConversation('quit');
    expect(c.feed('{"QMP": {}}')).toEqual({ send: '{"execute":"qmp_capabilities"}' });
    expect(c.feed('{"event": "X"}')).toEqual({ wait: true });
    expect(c.feed('{"return": {}}')).toEqual({ send: '{"execute":"quit"}' });
    expect(c.sentCommand).toBe(true);
  });

  it('sends a command with its arguments', () => {
    const c = new QmpConversation('migrate', { uri: 'unix:/x/save.sock' });
    c.feed('{"QMP": {}}');
    expect(c.feed('{"return": {}}')).toEqual({
      send: '{"execute":"migrate","arguments":{"uri":"unix:/x/save.sock"}}',
    });
  });
});

describe('the serial agent client', () => {
  /** Answers as image/common/agent does: "@lab ID out", base64 lines, "@lab ID err", "@lab ID exit N". */
  function agentReply(line: string, s: net.Socket) {
    const [id, verb, ...words] = line.trim().split(' ');
    if (!id || !verb) return;
    if (verb === 'ping') s.write(`@lab ${id} pong\n`);
    if (verb === 'exec') {
      const argv = words.map((w) => Buffer.from(w.slice(1), 'base64').toString());
      // a reply to an older request comes first: it must be ignored
      s.write(`@lab stale out\n${Buffer.from('old').toString('base64')}\n@lab stale exit 9\n`);
      s.write(
        `@lab ${id} out\n${Buffer.from(`argv=${JSON.stringify(argv)}\n`).toString('base64')}\n@lab ` +
          `${id} err\n${Buffer.from('warn\n').toString('base64')}\n@lab ${id} exit 3\n`,
      );
    }
  }

  it('pings, and runs argv byte for byte with stdout, stderr and the exit code apart', async () => {
    const sock = await fakeServer(() => undefined, agentReply);
    expect(await agentPing(sock)).toBe(true);
    const r = await agentExec(sock, ['printf', 'a b', '$(id)', '']);
    expect(r.exitCode).toBe(3);
    expect(r.stdout.toString()).toBe('argv=["printf","a b","$(id)",""]\n');
    expect(r.stderr.toString()).toBe('warn\n');
  });

  it('says the guest is gone when the channel closes mid-request, and times out on silence', async () => {
    const closing = await fakeServer(
      () => undefined,
      (_l, s) => s.destroy(),
    );
    await expect(agentExec(closing, ['true'])).rejects.toMatchObject({ code: 'GUEST_GONE' });
    const silent = await fakeServer(
      () => undefined,
      () => undefined,
    );
    await expect(agentExec(silent, ['true'], { timeoutMs: 200 })).rejects.toMatchObject({ code: 'GUEST_TIMEOUT' });
    expect(await agentPing(silent, 200)).toBe(false);
  });
});

describe('the ssh readiness probe', () => {
  /** A TCP server on 127.0.0.1 doing what QEMU's forwarded port does before and after sshd listens. */
  async function tcpServer(onConnect: (socket: net.Socket) => void): Promise<number> {
    const server = net.createServer(onConnect);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as net.AddressInfo).port;
  }

  it("is ready only when sshd's banner arrives, not when QEMU merely accepts", async () => {
    const { sshBanner } = await import('../../src/guest/ssh.js');
    expect(await sshBanner(await tcpServer((s) => s.end('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n')))).toBe(true);
    // QEMU's slirp accepts, then closes when nothing listens in the guest
    expect(await sshBanner(await tcpServer((s) => s.destroy()))).toBe(false);
    // accepted and silent
    expect(await sshBanner(await tcpServer(() => {}), 200)).toBe(false);
    expect(await sshBanner(await tcpServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n')))).toBe(false);
  });
});
