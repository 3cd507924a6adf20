import { describe, expect, it } from 'vitest';
import { AgentReplyParser, execRequest, pingRequest } from '../../src/guest/agent-protocol.js';

describe('guest agent protocol', () => {
  it('sends each argument base64-encoded so no shell sees it', () => {
    const args = ['printf', '%s\n', 'a b', "it's", '$(reboot)', '; rm -rf /', 'line1\nline2\n', ''];
    const request = execRequest('abc', args);
    expect(request.startsWith('\nabc exec ')).toBe(true);
    expect(request.endsWith('\n')).toBe(true);
    const body = request.trim().split(' ').slice(2);
    expect(body.map((t) => Buffer.from(t.slice(1), 'base64').toString())).toEqual(args);
    // only base64 characters and the x marker travel
    expect(request.trim()).toMatch(/^abc exec( x[A-Za-z0-9+/=]*)+$/);
  });

  it('reads out, err and the exit code for its own id only', () => {
    const p = new AgentReplyParser('id1');
    const lines = [
      '@lab old pong',
      '@lab id1 out',
      Buffer.from('hello\n').toString('base64'),
      '@lab id1 err',
      Buffer.from('oops').toString('base64'),
      '@lab id1 exit 3',
    ];
    const done = lines.map((l) => p.feed(l));
    expect(done).toEqual([false, false, false, false, false, true]);
    const r = p.reply();
    expect(r).toEqual({ exitCode: 3, stdout: Buffer.from('hello\n'), stderr: Buffer.from('oops') });
  });

  it('joins base64 wrapped over several lines', () => {
    const data = Buffer.alloc(300, 7);
    const b64 = data.toString('base64');
    const p = new AgentReplyParser('z');
    p.feed('@lab z out');
    for (let i = 0; i < b64.length; i += 76) p.feed(`${b64.slice(i, i + 76)}\r`);
    p.feed('@lab z err');
    p.feed('@lab z exit 0');
    expect(p.reply().stdout.equals(data)).toBe(true);
  });

  it('recognises a pong', () => {
    const p = new AgentReplyParser('q');
    expect(pingRequest('q')).toBe('\nq ping\n');
    expect(p.feed('@lab q pong')).toBe(true);
    expect(p.pong).toBe(true);
  });
});
