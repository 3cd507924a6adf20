import type { Expectation } from './schema.js';

/** What a run produced that can show a path fired. */
export interface Evidence {
  /** /proc/vmstat deltas over the run */
  counters: Record<string, number>;
  events: Record<string, number>;
  hits: Record<string, number>;
  calls: Record<string, number>;
  score?: { first: number; max: number; last: number; samples: number };
  /** the traced pid's calls, when the trace followed one task */
  tracedCalls?: number;
  /** vm.compaction_proactiveness during the run */
  proactiveness?: number;
  /** the THP defrag mode during the run */
  thpDefrag?: string;
}

/** The score above which kcompactd compacts proactively (fragmentation_score_wmark, high). */
export function proactiveHighMark(proactiveness: number): number {
  return Math.min(Math.max(100 - proactiveness, 5) + 10, 100);
}

export interface EvidenceRow {
  what: string;
  need: string;
  got: string;
  met: boolean;
}

export interface Verdict {
  path: Expectation['path'];
  expectedToFire: boolean | 'either';
  fired: boolean;
  ok: boolean;
  rows: EvidenceRow[];
  /** what was missing, when the path was expected to fire and did not */
  missing: string[];
  /** why it did not fire, read from the evidence */
  why: string[];
}

function rowsFor(e: Expectation, ev: Evidence): EvidenceRow[] {
  const rows: EvidenceRow[] = [];
  const add = (what: string, need: number, got: number) =>
    rows.push({ what, need: `≥ ${need}`, got: String(got), met: got >= need });
  for (const [n, min] of Object.entries(e.counters)) add(`${n} (vmstat delta)`, min, ev.counters[n] ?? 0);
  for (const [n, min] of Object.entries(e.events)) add(`${n} (trace events)`, min, ev.events[n] ?? 0);
  // "a|b": a function one kernel has under another name (6.9 folded proactive_compact_node into compact_node)
  for (const [n, min] of Object.entries(e.hits))
    add(
      `${n} (breakpoint hits)`,
      min,
      n.split('|').reduce((sum, f) => sum + (ev.hits[f] ?? 0), 0),
    );
  for (const [n, min] of Object.entries(e.calls)) add(`${n} (traced calls)`, min, ev.calls[n] ?? 0);
  if (e.scoreFalls) {
    const s = ev.score;
    rows.push({
      what: 'fragmentation score falls',
      need: 'last < highest',
      got: s ? `${s.first} → max ${s.max} → ${s.last} (${s.samples} samples)` : 'no samples',
      met: !!s && s.last < s.max,
    });
  }
  return rows;
}

/** Why a path stayed quiet, in the evidence's own numbers (the seed's question, answered). */
export function explainQuiet(path: Expectation['path'], ev: Evidence): string[] {
  const c = (n: string) => ev.counters[n] ?? 0;
  const why: string[] = [];
  if (path === 'kcompactd' || path === 'proactive') {
    if (c('compact_daemon_wake') === 0) why.push('nothing woke kcompactd: compact_daemon_wake +0');
    const thp = c('thp_fault_alloc') + c('thp_fault_fallback');
    if (thp === 0) {
      why.push(
        'the workload faulted in order-0 pages only (thp_fault_alloc and ' +
          'thp_fault_fallback +0), so wakeup_kcompactd(order 0) returned at once',
      );
    } else if (c('compact_daemon_wake') === 0 && (ev.thpDefrag === 'madvise' || ev.thpDefrag === 'never')) {
      why.push(
        `the workload's ${thp} THP faults (${c('thp_fault_fallback')} fell back to small pages) ran under ` +
          `transparent_hugepage/defrag=${ev.thpDefrag}, which for ` +
          `memory not madvised neither wakes kswapd nor compacts`,
      );
    } else {
      why.push(
        `the workload made ${thp} THP fault(s) (thp_fault_alloc ` +
          `+${c('thp_fault_alloc')}, thp_fault_fallback +${c('thp_fault_fallback')})`,
      );
    }
    const kswapd = c('pgscan_kswapd') + c('pgsteal_kswapd');
    if (kswapd > 0)
      why.push(`kswapd ran (pgscan_kswapd +${c('pgscan_kswapd')}), and proactive compaction stays off while it runs`);
    if (ev.tracedCalls === 0) {
      why.push(
        'tracing kcompactd by pid recorded 0 calls: kcompactd() is entered once ' +
          'at boot and sleeps in its loop; only a wakeup runs kcompactd_do_work',
      );
    } else if (
      ev.tracedCalls !== undefined &&
      (ev.calls.kcompactd_do_work ?? 0) === 0 &&
      (ev.calls.proactive_compact_node ?? 0) > 0
    ) {
      const p = ev.proactiveness;
      const high =
        p === undefined ? '' : `, over the high mark ${proactiveHighMark(p)} of compaction_proactiveness ${p}`;
      why.push(
        `kcompactd did compact, but by its own 500 ms timer (proactive_compact_node ` +
          `×${ev.calls.proactive_compact_node}): the node's score peaked at ${ev.score?.max ?? '?'}${high}; ` +
          `nothing woke it (kcompactd_do_work ×0). The seed's 5.4 kernel had no proactive compaction`,
      );
    } else if (
      ev.tracedCalls !== undefined &&
      (ev.calls.kcompactd_do_work ?? 0) === 0 &&
      (ev.calls.proactive_compact_node ?? 0) === 0
    ) {
      const checks = ev.calls.extfrag_for_order ?? 0;
      const p = ev.proactiveness;
      const mark =
        p === undefined ? '' : `; with compaction_proactiveness ${p} the high mark is ${proactiveHighMark(p)}`;
      const score = ev.score ? `the node's score peaked at ${ev.score.max}` : 'the score stayed low';
      why.push(
        `kcompactd ran ${ev.tracedCalls} traced calls but no compaction: only its 500 ms proactive check ` +
          `(extfrag_for_order ×${checks}, from the inlined fragmentation_score_node), and ` +
          `${score}${mark}. The seed's 5.4 kernel had no such timer, so its trace was empty`,
      );
    }
  }
  if (path === 'direct' && c('compact_stall') === 0)
    why.push(
      'no allocation stalled for compaction: compact_stall +0 (high-order allocations were satisfied from free blocks)',
    );
  if (path === 'manual' && c('compact_migrate_scanned') === 0)
    why.push('compact_memory was not written, or the zones had nothing to scan');
  return why;
}

export function evaluate(e: Expectation, ev: Evidence): Verdict {
  const rows = rowsFor(e, ev);
  const fired = rows.length > 0 && rows.every((r) => r.met);
  return {
    path: e.path,
    expectedToFire: e.fired,
    fired,
    ok: e.fired === 'either' || fired === e.fired,
    rows,
    missing:
      e.fired === true && !fired
        ? rows.filter((r) => !r.met).map((r) => `${r.what}: needed ${r.need}, got ${r.got}`)
        : [],
    why: fired ? [] : explainQuiet(e.path, ev),
  };
}

export function renderVerdicts(verdicts: Verdict[]): string {
  const lines: string[] = [];
  for (const v of verdicts) {
    const status = v.fired ? 'FIRED' : 'did not fire';
    const expectation =
      v.expectedToFire === 'either'
        ? ' (observed)'
        : v.ok
          ? v.expectedToFire
            ? ''
            : ' (as the seed saw)'
          : v.expectedToFire
            ? '  ✗ expected to fire'
            : '  ✗ expected to stay quiet';
    lines.push(`${v.path.padEnd(10)} ${status}${expectation}`);
    for (const r of v.rows)
      lines.push(`  ${r.met ? '✓' : '·'} ${r.what.padEnd(44)} ${r.got.padStart(10)}   (${r.need})`);
    for (const w of v.why) lines.push(`  why: ${w}`);
  }
  return lines.join('\n');
}
