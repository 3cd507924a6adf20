import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromeTrace } from '../../src/export/chrome-trace.js';
import { foldedHits, foldedTrace } from '../../src/export/folded.js';
import { buildRunReport } from '../../src/report/model.js';
import { vmstatDelta } from '../../src/sample/parse.js';
import { functionStats, parseTrace } from '../../src/trace/ftrace-parse.js';
import { hit } from '../helpers/hits.js';
import { FIXTURES, hasShared, sharedSkipReason } from '../helpers/shared.js';
import { TraceEventSchema, TraceFileSchema, unbalancedSlices } from '../helpers/trace-event-schema.js';

/** The fixture's manual compaction down to its innermost call, entered before the trace began. */
const COMPACT_UNLOCK_PATH = [
  'sysctl_compaction_handler',
  'compact_node',
  'compact_zone',
  'migrate_pages',
  'compaction_alloc',
  'compact_unlock_should_abort.isra.0',
].join(';');

describe('collapsed stacks', () => {
  it('folds hits root first, counted, inlined frames marked _[i] as FlameGraph colours them', () => {
    const hits = [
      hit('compact_unlock_should_abort', [
        ['compact_unlock_should_abort', true],
        ['isolate_freepages_block'],
        ['compact_zone'],
      ]),
      hit('compact_unlock_should_abort', [
        ['compact_unlock_should_abort', true],
        ['isolate_freepages_block'],
        ['compact_zone'],
      ]),
      hit('compact_zone', [['compact_zone'], ['compact_node']]),
    ];
    expect(foldedHits(hits)).toBe(
      'compact_node;compact_zone 1\ncompact_zone;isolate_freepages_block;compact_unlock_should_abort_[i] 2\n',
    );
  });

  it("weighs a function_graph tree by each call's own time, in nanoseconds", () => {
    const text = [
      ' 0)               |  compact_zone() {',
      ' 0)   0.400 us    |    compact_unlock_should_abort.isra.0();',
      ' 0)               |    isolate_migratepages() {',
      ' 0)   1.000 us    |      isolate_migratepages_block();',
      ' 0)   3.000 us    |    } /* isolate_migratepages */',
      ' 0)   10.000 us   |  } /* compact_zone */',
      ' 1)   2.000 us    |      } /* orphan_exit */',
    ].join('\n');
    expect(foldedTrace(parseTrace(text))).toBe(
      [
        '[caller not in the trace];orphan_exit 2000',
        'compact_zone 6600',
        'compact_zone;compact_unlock_should_abort.isra.0 400',
        'compact_zone;isolate_migratepages 2000',
        'compact_zone;isolate_migratepages;isolate_migratepages_block 1000',
        '',
      ].join('\n'),
    );
  });

  it('names the callers of calls entered before the trace began from their exits, as the report does', () => {
    const text = [
      ' 7)   0.500 us    |        compact_unlock_should_abort.isra.0();',
      ' 7)   0.500 us    |        compact_unlock_should_abort.isra.0();',
      ' 7)   4.000 us    |      } /* compaction_alloc */',
      ' 7)   9.000 us    |    } /* migrate_pages */',
      ' 7)   1.000 us    |    isolate_migratepages();',
      ' 7)   20.000 us   |  } /* compact_zone */',
    ].join('\n');
    expect(foldedTrace(parseTrace(text))).toBe(
      [
        'compact_zone 10000',
        'compact_zone;isolate_migratepages 1000',
        'compact_zone;migrate_pages 5000',
        'compact_zone;migrate_pages;compaction_alloc 3000',
        'compact_zone;migrate_pages;compaction_alloc;compact_unlock_should_abort.isra.0 1000',
        '',
      ].join('\n'),
    );
  });

  it(
    'folds a trace of 400,000 calls (a manual compaction under ' +
      'function_graph is 316,248 lines) without running out of stack',
    () => {
      const records = Array.from({ length: 400_000 }, (_, i) => ({
        kind: 'leaf' as const,
        cpu: i % 2,
        fn: 'compact_unlock_should_abort.isra.0',
        depth: 3,
        durationUs: 0.25,
      }));
      expect(foldedTrace(records)).toBe('compact_unlock_should_abort.isra.0 100000000\n');
    },
  );

  it.skipIf(!hasShared)(
    'folds the 40,482-line fixture: every function in it, and a leaf weighs exactly its calls',
    () => {
      const text = readFileSync(path.join(FIXTURES, 'ftrace', 'function_graph_manual_compaction_x86.txt'), 'utf8');
      const records = parseTrace(text);
      const lines = foldedTrace(records).trim().split('\n');
      const weight = (l: string) => Number(l.slice(l.lastIndexOf(' ') + 1));
      expect(lines.every((l) => Number.isInteger(weight(l)) && weight(l) > 0)).toBe(true);
      const leafOf = (l: string) => l.slice(0, l.lastIndexOf(' ')).split(';').at(-1)!;
      expect(new Set(lines.map(leafOf))).toEqual(new Set(functionStats(records).map((f) => f.fn)));
      // the function called most that is only ever a leaf: its lines weigh its calls' durations exactly
      const graph = records.filter((r) => r.kind !== 'event') as Array<{
        kind: string;
        fn: string;
        durationUs?: number;
      }>;
      const notLeaf = new Set(graph.filter((r) => r.kind !== 'leaf').map((r) => r.fn));
      const fn = functionStats(records).find((f) => !notLeaf.has(f.fn))!.fn;
      const calls = records
        .filter((r) => r.kind === 'leaf' && r.fn === fn)
        .reduce((n, r) => n + Math.round(((r as { durationUs?: number }).durationUs ?? 0) * 1000), 0);
      expect(lines.filter((l) => leafOf(l) === fn).reduce((n, l) => n + weight(l), 0)).toBe(calls);
    },
  );

  it.skipIf(!hasShared)("agrees with the report's call tree on every call path of the 40,482-line fixture", () => {
    const text = readFileSync(path.join(FIXTURES, 'ftrace', 'function_graph_manual_compaction_x86.txt'), 'utf8');
    const records = parseTrace(text);
    const folded = new Map(
      foldedTrace(records)
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]),
    );
    const report = buildRunReport({ manifest: { kind: 'trace', id: 't' }, records });
    const paths = new Map<string, number>();
    const pending = (report.callTree ?? []).map((node) => ({ node, stack: node.fn }));
    for (let cur = pending.pop(); cur; cur = pending.pop()) {
      paths.set(cur.stack, Math.round(cur.node.exclusiveUs * 1000));
      for (const c of cur.node.children) pending.push({ node: c, stack: `${cur.stack};${c.fn}` });
    }
    // a path of no time of its own (a call still open when the trace ended) has no line: nothing to weigh
    expect(folded).toEqual(new Map([...paths].filter(([, ns]) => ns > 0)));
    expect([...folded.keys()].filter((k) => k.includes('[unknown]'))).toEqual([]);
    expect(folded.has(COMPACT_UNLOCK_PATH)).toBe(true);
  });
  if (!hasShared) it.skip(sharedSkipReason, () => {});
});

describe('the Trace Event format', () => {
  const text = [
    '      kcompactd0-23      [000] .N...   395.968707: mm_compaction_begin: ' +
      'zone_start=0x1 migrate_pfn=0x1 free_pfn=0x7fe00 zone_end=0x7ffdd, mode=sync',
    '      kcompactd0-23      [000] .....   396.000000: mm_compaction_migratepages: nr_migrated=10 nr_failed=0',
    '      kcompactd0-23      [000] .....   398.877182: mm_compaction_end: zone_start=0x1 ' +
      'migrate_pfn=0x34400 free_pfn=0x34400 zone_end=0x7ffdd, mode=sync status=complete',
  ].join('\n');
  const trace = chromeTrace({
    hits: [hit('compact_zone', [['compact_zone'], ['compact_node']], 1.5, 1)],
    records: parseTrace(text),
    samples: [
      { t: 0, score: 27, vmstat: { compact_migrate_scanned: 0, nr_anon_pages: 5 } },
      { t: 1, score: 13, vmstat: { compact_migrate_scanned: 100, nr_anon_pages: 6 } },
    ],
  });

  it('passes a schema of the Trace Event format, phase by phase, with every slice closed', () => {
    const parsed = TraceFileSchema.safeParse(JSON.parse(JSON.stringify(trace)));
    expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([]);
    expect(unbalancedSlices(trace.traceEvents)).toEqual([]);
    expect(trace.traceEvents.filter((e) => e.ph === 'M').map((e) => e.args!.name)).toEqual([
      'breakpoint hits (gdb)',
      'ftrace events (guest)',
      'vmstat samples',
    ]);
  });

  it('the schema refuses what a viewer would misread', () => {
    const bad = [
      { name: 'x', ph: 'i', ts: 1, pid: 1, tid: 0 },
      { name: 'x', ph: 'X', ts: 1, pid: 1, tid: 0 },
      { name: 'x', ph: 'C', ts: 1, pid: 1, tid: 0, args: { v: 'high' } },
      { name: 'x', ph: 'E', ts: 1.5, pid: 1, tid: 0 },
    ];
    for (const e of bad) expect(TraceEventSchema.safeParse(e).success).toBe(false);
    expect(unbalancedSlices([{ name: 'compaction', ph: 'B', ts: 1, pid: 2, tid: 0 }])).toEqual([
      'B compaction on 2/0 never ends',
    ]);
  });

  it(
    'makes a hit an instant on its vCPU, a compaction a B/E ' +
      'slice on its CPU, and counters of the compaction vmstat only',
    () => {
      expect(trace.traceEvents.find((e) => e.name === 'compact_zone')).toMatchObject({
        ph: 'i',
        ts: 1_500_000,
        tid: 1,
      });
      const slice = trace.traceEvents.filter((e) => e.name === 'compaction');
      expect(slice.map((e) => [e.ph, e.ts, e.tid])).toEqual([
        ['B', 395_968_707, 0],
        ['E', 398_877_182, 0],
      ]);
      expect(slice.map((e) => e.args)).toEqual([undefined, undefined]);
      expect(trace.traceEvents.find((e) => e.name === 'mm_compaction_begin')).toMatchObject({
        ph: 'i',
        ts: 395_968_707,
      });
      expect(trace.traceEvents.find((e) => e.name === 'mm_compaction_end')).toMatchObject({
        ph: 'i',
        ts: 398_877_182,
        args: { detail: expect.stringContaining('status=complete') },
      });
      // the vCPU that stopped has the recording as a slice up to its last
      // hit: speedscope needs a slice to build a profile
      expect(trace.traceEvents.filter((e) => e.ph === 'X')).toEqual([
        { name: 'gdb recording', cat: 'recording', ph: 'X', ts: 0, dur: 1_500_001, pid: 1, tid: 1 },
      ]);
      expect(trace.traceEvents.find((e) => e.name === 'mm_compaction_migratepages')).toMatchObject({ ph: 'i' });
      const counters = trace.traceEvents.filter((e) => e.ph === 'C');
      expect(counters.map((e) => e.name)).toEqual([
        'fragmentation score',
        'compact_migrate_scanned',
        'fragmentation score',
        'compact_migrate_scanned',
      ]);
    },
  );

  it("tracks the counters a scenario's evidence counts (vmstatDelta's), no others", () => {
    const vmstat = { compact_stall: 1, pgmigrate_success: 2, thp_fault_alloc: 3, nr_free_pages: 4, nr_anon_pages: 5 };
    const tracked = chromeTrace({ samples: [{ t: 0, score: 1, vmstat }] })
      .traceEvents.filter((e) => e.ph === 'C' && e.name !== 'fragmentation score')
      .map((e) => e.name);
    expect(tracked).toEqual(Object.keys(vmstatDelta({}, vmstat)));
    expect(tracked).toEqual(['compact_stall', 'pgmigrate_success', 'thp_fault_alloc', 'nr_free_pages']);
  });
});
