import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventCounts, functionStats, parseTrace, parseTraceLine } from '../../src/trace/ftrace-parse.js';
import { FIXTURES, hasShared } from '../helpers/shared.js';

describe('ftrace line parser', () => {
  it('reads leaf calls, entries, exits with overhead markers, and events', () => {
    expect(parseTraceLine('  7)   0.407 us    |            compact_unlock_should_abort.isra.0();')).toEqual({
      kind: 'leaf',
      cpu: 7,
      fn: 'compact_unlock_should_abort.isra.0',
      depth: 6,
      durationUs: 0.407,
    });
    expect(parseTraceLine('  1)               |    compact_zone() {')).toEqual({
      kind: 'entry',
      cpu: 1,
      fn: 'compact_zone',
      depth: 2,
    });
    expect(parseTraceLine('  7) @ 158712.7 us |      } /* compact_zone */')).toEqual({
      kind: 'exit',
      cpu: 7,
      fn: 'compact_zone',
      depth: 3,
      durationUs: 158712.7,
    });
    expect(parseTraceLine('  1) $ 185077296 us |  } /* schedule */')).toMatchObject({
      kind: 'exit',
      durationUs: 185077296,
    });
    expect(parseTraceLine(' 10) + 12.345 us   |  } /* migrate_pages */')).toMatchObject({ durationUs: 12.345 });
    expect(
      parseTraceLine('  0)               |  /* mm_compaction_begin: zone_start=0x1000 migrate_pfn=0x1000 */'),
    ).toEqual({
      kind: 'event',
      cpu: 0,
      event: 'mm_compaction_begin',
      detail: 'zone_start=0x1000 migrate_pfn=0x1000',
    });
    expect(
      parseTraceLine('   kcompactd0-35      [001] d..1.   52.123456: mm_compaction_kcompactd_sleep: nid=0'),
    ).toEqual({
      kind: 'event',
      task: 'kcompactd0',
      pid: 35,
      cpu: 1,
      timestamp: 52.123456,
      event: 'mm_compaction_kcompactd_sleep',
      detail: 'nid=0',
    });
  });

  it('skips headers, context-switch banners and blank lines', () => {
    for (const l of [
      '# tracer: function_graph',
      ' ------------------------------------------',
      '  7)   sh-405524    =>    <idle>-0   ',
      '',
    ]) {
      expect(parseTraceLine(l)).toBeUndefined();
    }
  });

  it('names a bare "}" exit (no funcgraph-tail, as the 6.1 guest prints them) from the entry open at its depth', () => {
    const text = [
      ' 0)               |  sysctl_compaction_handler() {',
      ' 0)               |    compact_zone() {',
      ' 0)   0.000 us    |      compaction_alloc();',
      ' 0) * 32000.00 us |    }',
      ' 0) * 32000.00 us |  }',
      ' 1)   4.000 us    |  }',
    ].join('\n');
    const exits = parseTrace(text).filter((r) => r.kind === 'exit');
    expect(exits.map((r) => [r.kind === 'exit' && r.fn, r.kind === 'exit' && r.durationUs])).toEqual([
      ['compact_zone', 32000],
      ['sysctl_compaction_handler', 32000],
      ['[unknown]', 4],
    ]);
    expect(functionStats(parseTrace(text)).find((f) => f.fn === 'sysctl_compaction_handler')).toMatchObject({
      calls: 1,
      totalUs: 32000,
    });
  });

  it('matches exits to entries per CPU and counts an exit whose entry came before the trace', () => {
    const records = parseTrace(
      [
        '  0)               |  compact_zone() {',
        '  0)   1.000 us    |    isolate_migratepages();',
        '  0)   5.000 us    |  } /* compact_zone */',
        '  1)   7.000 us    |  } /* compact_zone */',
      ].join('\n'),
    );
    expect(functionStats(records)).toEqual([
      { fn: 'compact_zone', calls: 2, totalUs: 12, maxUs: 7, perCpu: { 0: 1, 1: 1 } },
      { fn: 'isolate_migratepages', calls: 1, totalUs: 1, maxUs: 1, perCpu: { 0: 1 } },
    ]);
  });
});

describe.skipIf(!hasShared)("the seed's real traces", () => {
  it("finds the 40,482-line manual compaction trace's calls, as grep and awk count them", () => {
    const text = readFileSync(path.join(FIXTURES, 'ftrace', 'function_graph_manual_compaction_x86.txt'), 'utf8');
    expect(text.split('\n').length - 1).toBe(40482);
    const stats = new Map(functionStats(parseTrace(text)).map((s) => [s.fn, s]));
    // grep -c 'compact_unlock_should_abort' → 39915: 39914 leaf calls and one exit whose entry preceded the trace
    const abort = stats.get('compact_unlock_should_abort.isra.0')!;
    expect(abort.calls).toBe(39915);
    expect(abort.perCpu).toEqual({ 7: 19920, 10: 19995 });
    // awk sum and max of the leaf durations (9748.582, 6.836) plus the 0.300 us exit
    expect(abort.totalUs).toBeCloseTo(9748.882, 3);
    expect(abort.maxUs).toBe(6.836);
    expect(stats.get('can_migrate_task')!.calls).toBe(258);
    expect(stats.get('migrate_task_rq_fair')!.calls).toBe(58);
    // compact_zone only closes in the trace, on CPUs 7 and 10: 158712.7 + 133383.8 us
    expect(stats.get('compact_zone')).toEqual({
      fn: 'compact_zone',
      calls: 2,
      totalUs: 292096.5,
      maxUs: 158712.7,
      perCpu: { 7: 1, 10: 1 },
    });
    expect(stats.get('sysctl_compaction_handler')!.maxUs).toBe(334634.1);
  });

  it('finds nothing in the kcompactd trace the student got', () => {
    const text = readFileSync(path.join(FIXTURES, 'ftrace', 'function_graph_kcompactd_empty.txt'), 'utf8');
    const records = parseTrace(text);
    expect(records).toEqual([]);
    expect(eventCounts(records)).toEqual({});
  });
});
