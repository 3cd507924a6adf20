import { describe, expect, it } from 'vitest';
import { formatElapsed, renderStageLine } from '../../src/progress/progress.js';
import { canonicalJson, keyOf } from '../../src/util/hash.js';
import { runId } from '../../src/record/run-dir.js';
import { parseProcNetTcp, parseProcNetUnix } from '../../src/vm/listening.js';

describe('store keys', () => {
  it('do not depend on the order fields were written in', () => {
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe('{"a":[1,{"c":3,"d":2}],"b":1}');
    expect(keyOf({ a: 1, b: 2 })).toBe(keyOf({ b: 2, a: 1 }));
    expect(keyOf({ a: 1 })).not.toBe(keyOf({ a: 2 }));
    expect(keyOf({ a: 1, b: undefined })).toBe(keyOf({ a: 1 }));
  });
});

describe('progress lines', () => {
  it('show stage, percent or count, and elapsed', () => {
    expect(renderStageLine('fetch linux.tar.xz', { done: 50 << 20, total: 100 << 20, unit: 'bytes' }, 12_300)).toBe(
      'fetch linux.tar.xz · 50% · 50.0 MiB/100.0 MiB · 12.3s',
    );
    expect(renderStageLine('kernel build', { done: 812, unit: 'files' }, 83_000)).toBe(
      'kernel build · 812 files · 1m23s',
    );
    expect(formatElapsed(400)).toBe('0.4s');
  });
});

describe('run ids', () => {
  it('sort by time and name the kind of run', () => {
    const a = runId('debug', new Date('2026-11-26T21:23:07.418Z'));
    expect(a).toBe('20261126-212307418Z-debug');
    expect(runId('debug', new Date('2026-11-26T21:23:08Z')) > a).toBe(true);
  });
});

describe('listening sockets from /proc', () => {
  it('reads TCP listeners with their address', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:10E1 00000000:0000 0A 00000000:00000000 00:00000000 ' +
        '00000000     0        0 74929 1 0000000000000000 100 0 0 10 0',
      '   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 ' +
        '00000000     0        0 111 1 0000000000000000 100 0 0 10 0',
      '   2: 0100007F:10E1 0100007F:9C40 01 00000000:00000000 00:00000000 ' +
        '00000000     0        0 222 1 0000000000000000 100 0 0 10 0',
    ].join('\n');
    expect([...parseProcNetTcp(tcp, false)]).toEqual([
      ['74929', { address: '127.0.0.1', port: 4321 }],
      ['111', { address: '0.0.0.0', port: 22 }],
    ]);
    const tcp6 = [
      'header',
      '   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A ' +
        '00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 100 0 0 10 0',
    ].join('\n');
    expect([...parseProcNetTcp(tcp6, true)]).toEqual([['333', { address: '::1', port: 22 }]]);
  });

  it('reads listening unix sockets with their path', () => {
    const unix = [
      'Num       RefCount Protocol Flags    Type St Inode Path',
      '0000000000000000: 00000002 00000000 00010000 0001 01 74926 /l/vm/console.sock',
      '0000000000000000: 00000003 00000000 00000000 0001 03 74930 /l/vm/console.sock',
    ].join('\n');
    expect([...parseProcNetUnix(unix)]).toEqual([['74926', '/l/vm/console.sock']]);
  });
});
