import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { foldedHits } from '../../src/export/folded.js';
import { PAGE_SCRIPTS, renderPage, scriptJson } from '../../src/report/html.js';
import { buildRunReport } from '../../src/report/model.js';
import { MAX_POINTS } from '../../src/report/run-report.js';
import { flameFrameCount, flameFromCallTree, flameFromHits } from '../../src/report/trees.js';
import type { Sample } from '../../src/sample/sample.js';
import { stepLabel } from '../../src/scenario/session.js';
import { callTree, type CallNode } from '../../src/trace/call-tree.js';
import { parseTrace } from '../../src/trace/ftrace-parse.js';
import { foldedFrames } from '../helpers/folded.js';
import { hit } from '../helpers/hits.js';
import { FIXTURES, hasShared, sharedSkipReason } from '../helpers/shared.js';

describe('flame trees', () => {
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
    // an inlined copy and an outlined one of the same function are two frames, as FlameGraph's _[i] makes them
    hit('compact_unlock_should_abort', [
      ['compact_unlock_should_abort'],
      ['isolate_freepages_block'],
      ['compact_zone'],
    ]),
  ];

  it('merges backtraces outermost first, a node worth the hits under it, inlined frames marked', () => {
    const tree = flameFromHits(hits);
    expect(tree.value).toBe(4);
    const zone = tree.children.find((c) => c.name === 'compact_zone')!;
    expect(zone.value).toBe(3);
    const block = zone.children[0]!;
    expect(block.children.map((c) => [c.name, c.libtype, c.value])).toEqual([
      ['compact_unlock_should_abort', 'inlined', 2],
      ['compact_unlock_should_abort', 'kernel', 1],
    ]);
  });

  it('draws as many frames as hits.folded has distinct call paths, plus its root', () => {
    expect(flameFrameCount(flameFromHits(hits))).toBe(foldedFrames(foldedHits(hits)) + 1);
  });
});

describe('the function_graph call tree', () => {
  it('merges calls by path with inclusive and exclusive time', () => {
    const text = [
      ' 0)               |  compact_zone() {',
      ' 0)   0.400 us    |    compact_unlock_should_abort.isra.0();',
      ' 0)               |    isolate_migratepages() {',
      ' 0)   1.000 us    |      isolate_migratepages_block();',
      ' 0)   3.000 us    |    } /* isolate_migratepages */',
      ' 0)   10.000 us   |  } /* compact_zone */',
      ' 0)               |  compact_zone() {',
      ' 0)   0.600 us    |    compact_unlock_should_abort.isra.0();',
      ' 0)   2.000 us    |  } /* compact_zone */',
    ].join('\n');
    const [zone] = callTree(parseTrace(text));
    expect(zone).toMatchObject({ fn: 'compact_zone', calls: 2, inclusiveUs: 12, exclusiveUs: 8 });
    expect(zone!.children.map((c) => [c.fn, c.calls, c.inclusiveUs, c.exclusiveUs])).toEqual([
      ['isolate_migratepages', 1, 3, 2],
      ['compact_unlock_should_abort.isra.0', 2, 1, 1],
    ]);
  });

  it('rebuilds the path of calls entered before the trace began from their exits', () => {
    const text = [
      ' 7)   0.500 us    |        compact_unlock_should_abort.isra.0();',
      ' 7)   0.500 us    |        compact_unlock_should_abort.isra.0();',
      ' 7)   4.000 us    |      } /* compaction_alloc */',
      ' 7)   9.000 us    |    } /* migrate_pages */',
      ' 7)   1.000 us    |    isolate_migratepages();',
      ' 7)   20.000 us   |  } /* compact_zone */',
    ].join('\n');
    const tree = callTree(parseTrace(text));
    expect(tree.map((n) => n.fn)).toEqual(['compact_zone']);
    const path = (n: CallNode | undefined, out: string[] = []): string[] =>
      n ? path(n.children[0], [...out, `${n.fn} ${n.calls}x ${n.inclusiveUs}/${n.exclusiveUs}`]) : out;
    expect(path(tree[0])).toEqual([
      'compact_zone 1x 20/10',
      'migrate_pages 1x 9/5',
      'compaction_alloc 1x 4/3',
      'compact_unlock_should_abort.isra.0 2x 1/1',
    ]);
  });

  it('hangs calls whose callers never show under one node', () => {
    const tree = callTree(parseTrace(' 1)   0.500 us    |      lonely_leaf();\n 1)   0.200 us    |  top_leaf();'));
    expect(tree.map((n) => n.fn).sort()).toEqual(['[caller not in the trace]', 'top_leaf']);
  });

  it.skipIf(!hasShared)(
    "rebuilds the fixture's manual compaction down to compact_unlock_should_abort's 39,915 calls",
    () => {
      const records = parseTrace(
        readFileSync(path.join(FIXTURES, 'ftrace', 'function_graph_manual_compaction_x86.txt'), 'utf8'),
      );
      const tree = callTree(records);
      const handler = tree.find((n) => n.fn === 'sysctl_compaction_handler')!;
      const chain: string[] = [];
      for (let n: CallNode | undefined = handler; n; n = n.children.find((c) => c.children.length) ?? n.children[0])
        chain.push(n.fn);
      expect(chain).toEqual([
        'sysctl_compaction_handler',
        'compact_node',
        'compact_zone',
        'migrate_pages',
        'compaction_alloc',
        'compact_unlock_should_abort.isra.0',
      ]);
      const leaf = (function find(n: CallNode): CallNode | undefined {
        return n.fn === 'compact_unlock_should_abort.isra.0' ? n : n.children.map(find).find(Boolean);
      })(handler)!;
      expect(leaf.calls).toBe(39915);
      // a flame node is never smaller than its callees together
      const flame = flameFromCallTree(tree);
      const check = (n: typeof flame): boolean =>
        n.value >= n.children.reduce((s, c) => s + c.value, 0) && n.children.every(check);
      expect(check(flame)).toBe(true);
    },
  );
  if (!hasShared) it.skip(sharedSkipReason, () => {});
});

describe('the run report model', () => {
  const manifest = {
    id: 'r1',
    kind: 'scenario',
    command: ['lab', 'run', 'proactive'],
    kernel: { version: '6.1.192', configSha256: 'abc' },
    qemu: { version: 'QEMU 7.2', accel: 'tcg' },
    request: { scenario: { name: 'proactive' } },
    exports: ['trace.json'],
  };
  const sample = (t: number, score: number, scanned: number): Sample => ({
    t,
    score,
    vmstat: { compact_migrate_scanned: scanned, nr_free_pages: 1 },
    buddyinfo: [{ node: 0, zone: 'DMA32', free: [t, 2, 3] }],
  });

  it('states the kernel, config hash, QEMU, accel and command line', () => {
    const r = buildRunReport({ manifest });
    const header = Object.fromEntries(r.header);
    expect(header.command).toBe('lab run proactive');
    expect(header['config sha256']).toBe('abc');
    expect(header.QEMU).toContain('accel tcg');
    expect(header.kernel).toContain('6.1.192');
  });

  it('a scenario: one point per sample, growth of the counters that moved, steps, buddyinfo before and after', () => {
    const samples = [sample(0, 30, 100), sample(1, 31, 100), sample(2, 9, 400)];
    const r = buildRunReport({
      manifest,
      samples,
      steps: [{ t: 0.5, label: 'sleep 2' }],
      verdicts: {
        verdicts: [
          {
            path: 'proactive',
            fired: true,
            ok: true,
            expectedToFire: true,
            rows: [{ what: 'x', need: '≥ 1', got: '3', met: true }],
          },
        ],
      },
    });
    expect(r.series!.t).toHaveLength(3);
    expect(r.series!.score).toEqual([30, 31, 9]);
    expect(r.series!.counters).toEqual({ compact_migrate_scanned: [0, 0, 300] });
    expect(r.series!.steps).toEqual([{ t: 0.5, label: 'sleep 2' }]);
    expect(r.heatmaps!.map((h) => h.values[0])).toEqual([
      [0, 2, 3],
      [2, 2, 3],
    ]);
    expect(r.verdicts![0]).toMatchObject({ path: 'proactive', fired: true, expected: 'fires' });
  });

  it('a debug run: flame, hits per breakpoint, a timeline kept under MAX_POINTS, captures as columns', () => {
    const many = Array.from({ length: MAX_POINTS + 5 }, (_, i) => ({
      ...hit('compact_zone', [['compact_zone']], i / 1000, i % 2),
      captures: { 'cc->order': { value: i % 10 } },
    }));
    const r = buildRunReport({
      manifest: { ...manifest, kind: 'debug', request: { breakpoints: ['compact_zone'] } },
      hits: many,
    });
    expect(r.title).toBe('lab debug --break compact_zone');
    expect(r.breakpoints!.rows).toEqual([['compact_zone', MAX_POINTS + 5, 1, 'compact_zone']]);
    expect(r.hitTimeline!.x).toHaveLength(MAX_POINTS);
    expect(r.hitTimeline!.omitted).toBe(5);
    expect(r.hitTimeline!.groups).toEqual(['cpu 0', 'cpu 1']);
    expect(r.hitsTable!.columns.at(-1)).toBe('cc->order');
    expect(r.hitsTable!.rows[3]!.at(-1)).toBe(3);
  });

  it('lab debug --snapshot buddy: one heatmap per snapshot and zone, migrate type by order', () => {
    const snapshots = [
      {
        when: 'hit',
        seq: 1,
        kind: 'buddy',
        data: [{ zone: 'DMA32', by_type: { Unmovable: [1, 0], Movable: [0, 494] } }],
      },
    ];
    const r = buildRunReport({ manifest: { ...manifest, kind: 'debug' }, hits: [], snapshots });
    expect(r.heatmaps).toEqual([
      {
        title: 'free blocks, zone DMA32, at hit 1',
        rows: ['Unmovable', 'Movable'],
        cols: ['order 0', 'order 1'],
        values: [
          [1, 0],
          [0, 494],
        ],
      },
    ]);
    expect(r.notes).toContain('no breakpoint was hit in this run');
  });
});

describe('the page', () => {
  it('keeps any string of the run inside its JSON: a function named </script> cannot end the data early', () => {
    const data = { page: 'run' as const, report: { title: '</script><script>alert(1)</script>\u2028' } };
    const html = renderPage('t <b>', data, { scripts: ['var x = "</script>";'], styles: [] });
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html).toContain('<title>t &lt;b&gt;</title>');
    const json = html.slice(html.indexOf('type="application/json">') + 24, html.indexOf('</script>'));
    expect(JSON.parse(json)).toEqual(data);
    expect(scriptJson('\u2029')).toBe('"\\u2029"');
  });

  it('inlines every page script, each of one concern: none over 250 lines, no line over 120 characters', () => {
    const dir = path.resolve(import.meta.dirname, '..', '..', 'src', 'report', 'page');
    const onDisk = readdirSync(dir).filter((f) => f.endsWith('.js'));
    expect([...PAGE_SCRIPTS].sort()).toEqual(onDisk.sort());
    for (const file of PAGE_SCRIPTS) {
      const lines = readFileSync(path.join(dir, file), 'utf8').split('\n');
      expect(lines.length, file).toBeLessThanOrEqual(250);
      expect(
        lines.filter((l) => l.length > 120),
        file,
      ).toEqual([]);
    }
  });

  it('labels a step in a few words', () => {
    expect(stepLabel({ sleep: 2 })).toBe('sleep 2');
    expect(stepLabel({ until: { compact_daemon_wake: 1 }, within: 30 })).toBe('until compact_daemon_wake (≤ 30 s)');
    expect(stepLabel({ set: { '/proc/sys/vm/compaction_proactiveness': '100' } })).toBe('compaction_proactiveness=100');
    expect(
      stepLabel({ run: ['fragmenter', '--free-percent', '50', '--pattern', 'alternate'], background: true } as never),
    ).toBe('fragmenter --free-percent 50 … &');
  });
});

describe('writing report.html', () => {
  it('writes into a run directory outside the system temporary directory, leaving no partial file', async () => {
    // the lab directory is wherever the user works: ~/course/.lab, not /tmp
    const { mkdtempSync, readdirSync, rmSync, writeFileSync } = await import('node:fs');
    const { writeRunReport } = await import('../../src/lab/report.js');
    const { PROJECT } = await import('../helpers/cli.js');
    const dir = mkdtempSync(path.join(PROJECT, '.report-test-'));
    try {
      writeFileSync(
        path.join(dir, 'manifest.json'),
        JSON.stringify({ id: 'r', kind: 'trace', command: ['lab', 'trace'], request: { tracer: 'nop' } }),
      );
      const r = await writeRunReport(dir);
      expect(r.file).toBe(path.join(dir, 'report.html'));
      expect(r.bytes).toBeGreaterThan(100_000);
      expect(readdirSync(dir).sort()).toEqual(['manifest.json', 'report.html']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
