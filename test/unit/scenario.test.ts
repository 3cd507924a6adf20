import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listScenarios, loadScenario, loadScenarioFile, parseScenario } from '../../src/scenario/schema.js';
import { fromStart } from '../../src/scenario/start.js';
import { evaluate, explainQuiet, renderVerdicts, type Evidence } from '../../src/scenario/verdict.js';
import { currentSetting } from '../../src/scenario/settings.js';
import { scoreSummary } from '../../src/scenario/evidence.js';
import { eventSpec, TRACE_RESET, traceRestore, traceSetup } from '../../src/trace/plan.js';
import { LabError } from '../../src/errors.js';

const base = {
  name: 'x',
  description: 'd',
  steps: [{ sleep: 1 }],
  expect: [{ path: 'manual', counters: { compact_stall: 1 } }],
};
const lineOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return (err as LabError).line();
  }
  throw new Error('did not throw');
};

describe('scenario files', () => {
  it('ships manual, proactive, direct, kcompactd and stress, all valid', () => {
    expect(listScenarios().map((s) => s.name)).toEqual(['direct', 'kcompactd', 'manual', 'proactive', 'stress']);
    expect(loadScenario('stress').expect[0]).toMatchObject({ path: 'kcompactd', fired: false });
    expect(loadScenario('manual').trace).toMatchObject({
      tracer: 'function_graph',
      filters: ['*compact*', '*migrate*'],
    });
  });

  it('names the file, the key and what is allowed for an unknown key', () => {
    const text = JSON.stringify({ ...base, colour: 'red' });
    expect(lineOf(() => parseScenario(text, 's.json'))).toMatch(
      /^s\.json: \(top level\): unknown key "colour" \(allowed: name, description, rootfs, settings, prepare, steps, start, trace, breakpoints, sample, expect\)/,
    );
    const inTrace = JSON.stringify({ ...base, trace: { tracer: 'nop', filter: ['x'] } });
    expect(lineOf(() => parseScenario(inTrace, 's.json'))).toMatch(
      /s\.json: trace: unknown key "filter" \(allowed: tracer, filters, graphFunctions/,
    );
  });

  it('has a start moment before its last step, and a run from it skips prepare and the start steps', () => {
    const manual = loadScenario('manual');
    expect(manual.start).toEqual({ moment: 'manual-fragmented', after: 2 });
    const trial = fromStart(manual);
    expect(trial.prepare).toEqual([]);
    expect(trial.steps).toEqual(manual.steps.slice(2));
    expect(trial.expect).toEqual(manual.expect);
    expect(fromStart({ ...manual, start: undefined })).toEqual({ ...manual, start: undefined });
    const late = JSON.stringify({ ...base, start: { moment: 'm', after: base.steps.length } });
    expect(lineOf(() => parseScenario(late, 's.json'))).toMatch(
      /start\.after is 1, and it has 1 steps: the start moment/,
    );
  });

  it('names the key and the allowed values for a bad value', () => {
    const badPath = JSON.stringify({ ...base, expect: [{ path: 'background' }] });
    expect(lineOf(() => parseScenario(badPath, 's.json'))).toMatch(
      /s\.json: expect\.0\.path: .*allowed: manual, direct, kcompactd, proactive/,
    );
    const badSetting = JSON.stringify({ ...base, settings: { '/etc/passwd': 'x' } });
    expect(lineOf(() => parseScenario(badSetting, 's.json'))).toMatch(
      /s\.json: settings\.\/etc\/passwd: the key is not a file under \/proc\/sys\/vm or \/sys\/kernel\/mm/,
    );
    const badTracer = JSON.stringify({ ...base, trace: { tracer: 'blk' } });
    expect(lineOf(() => parseScenario(badTracer, 's.json'))).toMatch(
      /trace\.tracer: .*allowed: nop, function, function_graph/,
    );
  });

  it('reads a scenario from a path too, and says which names exist for an unknown one', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-scn-'));
    writeFileSync(path.join(dir, 'mine.json'), JSON.stringify(base));
    expect(loadScenarioFile(path.join(dir, 'mine.json')).name).toBe('x');
    expect(lineOf(() => loadScenario('nope'))).toBe(
      'no scenario named "nope": choose one of direct, kcompactd, manual, proactive, stress (lab run --list)',
    );
  });
});

describe('verdicts', () => {
  const quiet: Evidence = {
    counters: { compact_daemon_wake: 0, pgscan_kswapd: 5000, thp_fault_alloc: 0 },
    events: {},
    hits: {},
    calls: {},
    tracedCalls: 0,
  };

  it('fire only when every piece of evidence is there, and name what is missing', () => {
    const e = {
      path: 'direct' as const,
      fired: true,
      counters: { compact_stall: 1 },
      events: {},
      hits: { try_to_compact_pages: 1 },
      calls: {},
      scoreFalls: false,
    };
    const yes = evaluate(e, {
      counters: { compact_stall: 12 },
      events: {},
      hits: { try_to_compact_pages: 3 },
      calls: {},
    });
    expect(yes).toMatchObject({ fired: true, ok: true, missing: [] });
    const no = evaluate(e, {
      counters: { compact_stall: 0 },
      events: {},
      hits: { try_to_compact_pages: 3 },
      calls: {},
    });
    expect(no).toMatchObject({ fired: false, ok: false });
    expect(no.missing).toEqual(['compact_stall (vmstat delta): needed ≥ 1, got 0']);
    expect(no.why[0]).toMatch(/compact_stall \+0/);
  });

  it("explain the seed's empty kcompactd trace from the evidence", () => {
    const e = {
      path: 'kcompactd' as const,
      fired: false,
      counters: { compact_daemon_wake: 1 },
      events: {},
      hits: {},
      calls: { kcompactd_do_work: 1 },
      scoreFalls: false,
    };
    const v = evaluate(e, quiet);
    expect(v).toMatchObject({ fired: false, ok: true });
    expect(v.why.join('\n')).toMatch(/compact_daemon_wake \+0/);
    expect(v.why.join('\n')).toMatch(/order-0 pages only/);
    expect(v.why.join('\n')).toMatch(/kswapd ran \(pgscan_kswapd \+5000\)/);
    expect(v.why.join('\n')).toMatch(/recorded 0 calls: kcompactd\(\) is entered once at boot/);
    expect(renderVerdicts([v])).toMatch(/^kcompactd +did not fire \(as the seed saw\)/);
  });

  it('tell a kcompactd that only ran its proactive check from one that compacted', () => {
    const e = {
      path: 'kcompactd' as const,
      fired: false,
      counters: { compact_daemon_wake: 1 },
      events: {},
      hits: {},
      calls: { kcompactd_do_work: 1 },
      scoreFalls: false,
    };
    const checked = evaluate(e, {
      ...quiet,
      tracedCalls: 2798,
      calls: { extfrag_for_order: 13716 },
      proactiveness: 20,
      score: { first: 1, max: 3, last: 2, samples: 20 },
    });
    expect(checked.ok).toBe(true);
    expect(checked.why.join('\n')).toMatch(
      /only its 500 ms proactive check \(extfrag_for_order ×13716.*peaked at 3; with compaction_proactiveness 20 the high mark is 90/,
    );
  });

  it('report an "either" path without judging it, and a kcompactd that compacted by its timer', () => {
    const e = {
      path: 'kcompactd' as const,
      fired: false,
      counters: { compact_daemon_wake: 1 },
      events: {},
      hits: {},
      calls: { kcompactd_do_work: 1 },
      scoreFalls: false,
    };
    const ev = {
      ...quiet,
      counters: { compact_daemon_wake: 0, thp_fault_alloc: 748, thp_fault_fallback: 113 },
      tracedCalls: 123023,
      calls: { proactive_compact_node: 1 },
      proactiveness: 20,
      thpDefrag: 'madvise',
      score: { first: 17, max: 99, last: 36, samples: 16 },
    };
    const v = evaluate(e, ev);
    expect(v.ok).toBe(true);
    expect(v.why.join('\n')).toMatch(
      /861 THP faults \(113 fell back to small pages\) ran under transparent_hugepage\/defrag=madvise/,
    );
    expect(v.why.join('\n')).toMatch(
      /by its own 500 ms timer \(proactive_compact_node ×1\): the node's score peaked at 99, over the high mark 90/,
    );
    const p = evaluate(
      {
        path: 'proactive',
        fired: 'either',
        counters: {},
        events: {},
        hits: {},
        calls: { proactive_compact_node: 1 },
        scoreFalls: false,
      },
      ev,
    );
    expect(p).toMatchObject({ fired: true, ok: true, missing: [] });
    expect(renderVerdicts([p])).toMatch(/^proactive +FIRED \(observed\)/);
  });

  it('judge the fragmentation score by its samples', () => {
    expect(scoreSummary([])).toBeUndefined();
    const e = {
      path: 'proactive' as const,
      fired: true,
      counters: {},
      events: {},
      hits: {},
      calls: {},
      scoreFalls: true,
    };
    expect(evaluate(e, { ...quiet, score: { first: 20, max: 95, last: 40, samples: 9 } }).fired).toBe(true);
    expect(evaluate(e, { ...quiet, score: { first: 20, max: 95, last: 95, samples: 9 } }).fired).toBe(false);
    expect(explainQuiet('proactive', quiet).length).toBeGreaterThan(0);
  });

  it("read a THP-style setting's chosen value back for restoring", () => {
    expect(currentSetting('always [madvise] never\n')).toBe('madvise');
    expect(currentSetting('20\n')).toBe('20');
  });
});

describe('trace plans', () => {
  it('arm in order: reset, clear, filters, events, then the tracer and tracing_on', () => {
    const writes = traceSetup({
      tracer: 'function_graph',
      filters: ['*compact*', '*migrate*'],
      graphFunctions: ['compact_zone'],
      maxDepth: 4,
      events: ['compaction', 'migrate:mm_migrate_pages'],
      pid: 35,
    });
    expect(writes.slice(0, TRACE_RESET.length)).toEqual(TRACE_RESET);
    expect(writes.slice(TRACE_RESET.length)).toEqual([
      ['trace', ''],
      ['set_ftrace_filter', '*compact* *migrate*'],
      ['set_graph_function', 'compact_zone'],
      ['max_graph_depth', '4'],
      ['set_ftrace_pid', '35'],
      ['set_event', 'compaction:* migrate:mm_migrate_pages'],
      ['current_tracer', 'function_graph'],
      ['tracing_on', '1'],
    ]);
  });

  it('always restore to off with every filter cleared', () => {
    expect(TRACE_RESET).toEqual([
      ['tracing_on', '0'],
      ['current_tracer', 'nop'],
      ['set_ftrace_filter', ''],
      ['set_graph_function', ''],
      ['max_graph_depth', '0'],
      ['set_ftrace_pid', ''],
      ['set_event', ''],
    ]);
  });

  it('put tracing_on back as it was, after the reset', () => {
    expect(traceRestore('1').at(-1)).toEqual(['tracing_on', '1']);
    expect(traceRestore('0').at(-1)).toEqual(['tracing_on', '0']);
    expect(traceRestore('1').slice(0, TRACE_RESET.length)).toEqual(TRACE_RESET);
  });

  it('refuse graph options without function_graph and malformed events', () => {
    expect(() => traceSetup({ tracer: 'function', filters: [], graphFunctions: ['x'], events: [] })).toThrow(
      /need --tracer function_graph/,
    );
    expect(eventSpec('compaction')).toBe('compaction:*');
    expect(() => eventSpec('a b; rm')).toThrow(/not an event or a group/);
  });
});

describe('a function renamed between kernels', () => {
  it('breaks on the first name the kernel has, and counts the hits of either name', async () => {
    const { chooseFunction } = await import('../../src/gdb/suggest.js');
    expect(chooseFunction('proactive_compact_node|compact_node', new Set(['compact_node', 'kcompactd']))).toBe(
      'compact_node',
    );
    expect(
      chooseFunction('proactive_compact_node|compact_node', new Set(['proactive_compact_node', 'compact_node'])),
    ).toBe('proactive_compact_node');
    expect(chooseFunction('compact_unlock_should_abort', new Set())).toBe('compact_unlock_should_abort');
  });
});

describe('waiting for a background job to be ready', () => {
  it('is one guest command, its paths and numbers as words, never spliced into the script', async () => {
    const { readyArgv } = await import('../../src/scenario/background.js');
    const argv = readyArgv('/tmp/lab-x/bg-0.out', 1234, 300);
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv[2]).not.toContain('/tmp/lab-x');
    expect(argv.slice(3)).toEqual(['sh', '/tmp/lab-x/bg-0.out', '1234', '1500']);
  });
});
