import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readCompressed } from '../../src/guest/compressed-read.js';
import type { Guest } from '../../src/guest/guest.js';

/** A guest whose channel hands over each reply in turn: what gzip -c printed, some with a byte changed on the way. */
function guestReplying(replies: Buffer[]): Guest & { calls: number } {
  const guest = {
    toolDir: '/lab',
    calls: 0,
    exec: async () => ({ exitCode: 0, stdout: replies[guest.calls++]!, stderr: Buffer.alloc(0) }),
  };
  return guest;
}

const TRACE = 'compact_unlock_should_abort: (isolate_freepages_block+0x2c0/0x5a0)\n'.repeat(2000);

function damaged(gz: Buffer): Buffer {
  const copy = Buffer.from(gz);
  copy[Math.floor(copy.length / 2)]! ^= 0x20; // one bit changed mid-stream
  return copy;
}

describe("a compressed read of a guest's file", () => {
  it("reads again when gzip's check finds a changed byte, and keeps the good copy", async () => {
    const gz = gzipSync(TRACE, { level: 1 });
    const guest = guestReplying([damaged(gz), gz]);
    const r = await readCompressed(guest, '/sys/kernel/tracing/instances/lab/trace');
    expect(r.out).toBe(TRACE);
    expect(r.gzipped).toEqual(gz);
    expect(guest.calls).toBe(2);
  });

  it('gives up after three damaged copies, in one line that says what to do', async () => {
    const bad = damaged(gzipSync(TRACE, { level: 1 }));
    const guest = guestReplying([bad, bad, bad]);
    await expect(readCompressed(guest, '/t/trace')).rejects.toThrow(
      /^\/t\/trace arrived damaged 3 times from the guest/,
    );
    expect(guest.calls).toBe(3);
  });
});
