import { describe, expect, it } from 'vitest';
import { gdbArgs } from '../../src/gdb/gdb-command.js';
import { parseRecorderEvent } from '../../src/gdb/recorder-events.js';
import { formatBacktraces, formatFrame, hitsPerFunction, type Hit } from '../../src/gdb/hits.js';
import { parseHits } from '../../src/record/hit-schema.js';
import { closestNames, editDistance, functionNamesFromSystemMap } from '../../src/gdb/suggest.js';

const hit = (seq: number, fn: string, frames: Hit['frames'], trimmed = false): Hit => ({
  seq,
  time: '2026-01-01T00:00:00Z',
  elapsed: 0,
  breakpoint: fn,
  function: fn,
  file: 'mm/compaction.c',
  line: 1,
  cpu: 0,
  comm: 'sh',
  pid: 1,
  frames,
  trimmed,
});

describe('breakpoint name suggestions', () => {
  const map = [
    'ffffffff81153d30 t compact_zone',
    'ffffffff81154c00 t compact_node',
    'ffffffff81150000 t isolate_freepages_block',
    'ffffffff81150100 t compaction_alloc.isra.0',
    'ffffffff82000000 D some_data',
    'ffffffff81150200 T kcompactd_run',
  ].join('\n');

  it('reads function names from System.map, without compiler suffixes or data', () => {
    const names = functionNamesFromSystemMap(map);
    expect([...names].sort()).toEqual([
      'compact_node',
      'compact_zone',
      'compaction_alloc',
      'isolate_freepages_block',
      'kcompactd_run',
    ]);
  });

  it('suggests the closest names', () => {
    const names = functionNamesFromSystemMap(map);
    expect(closestNames('compact_zoen', names)).toEqual(['compact_zone', 'compact_node']);
    expect(closestNames('kcompactd', names)).toEqual(['kcompactd_run']);
    expect(closestNames('zzzzzz', names)).toEqual([]);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('hits', () => {
  const frames = [
    {
      function: 'compact_unlock_should_abort',
      file: 'mm/compaction.c',
      line: 521,
      pc: '0xffffffff811513ea',
      inlined: true,
    },
    {
      function: 'isolate_freepages_block',
      file: 'mm/compaction.c',
      line: 572,
      pc: '0xffffffff811513ea',
      inlined: false,
    },
    {
      function: 'entry_SYSCALL_64',
      file: 'arch/x86/entry/entry_64.S',
      line: 121,
      pc: '0xffffffff816000af',
      inlined: false,
    },
  ];

  it('prints frames as gdb does: no address on the innermost or inlined ones', () => {
    expect(formatFrame(frames[0]!, 0)).toBe('#0  compact_unlock_should_abort () at mm/compaction.c:521 [inlined]');
    expect(formatFrame(frames[1]!, 1)).toBe(
      '#1  0xffffffff811513ea in isolate_freepages_block () at mm/compaction.c:572',
    );
    expect(formatFrame({ ...frames[1]!, file: null, line: null, function: null }, 12)).toBe(
      '#12 0xffffffff811513ea in ?? ()',
    );
  });

  it('says where a backtrace was trimmed', () => {
    const text = formatBacktraces([hit(1, 'compact_unlock_should_abort', frames, true)]);
    expect(text).toContain('=== hit 1 · break compact_unlock_should_abort · cpu 0 · sh (pid 1)');
    expect(text).toContain('(older frames, past entry_SYSCALL_64, trimmed)');
  });

  it('counts hits per function and reads JSON lines back', () => {
    const hits = parseHits(
      [hit(1, 'a', []), hit(2, 'b', []), hit(3, 'b', [])].map((h) => JSON.stringify(h)).join('\n') + '\n',
    );
    expect(hitsPerFunction(hits)).toEqual([
      { function: 'b', hits: 2 },
      { function: 'a', hits: 1 },
    ]);
  });
});

describe('gdb invocation', () => {
  it('runs batch gdb with no init files, the kernel helpers allowed, then the recorder', () => {
    const args = gdbArgs('/store/kernels/k/vmlinux', '/p/gdb-scripts/lab_recorder.py');
    expect(args).toEqual([
      '-nx',
      '-q',
      '-batch',
      '-iex',
      'add-auto-load-safe-path /store/kernels/k',
      '-ex',
      'set pagination off',
      '-x',
      '/p/gdb-scripts/lab_recorder.py',
      '/store/kernels/k/vmlinux',
    ]);
  });

  it("tells recorder events from gdb's own output", () => {
    expect(parseRecorderEvent('@lab-event {"event":"armed"}')).toEqual({ event: 'armed' });
    expect(parseRecorderEvent('Breakpoint 1 at 0xffffffff81153d30')).toBeUndefined();
    expect(parseRecorderEvent('@lab-event {broken')).toBeUndefined();
  });
});
