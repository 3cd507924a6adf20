import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT } from '../helpers/cli.js';
import {
  fetchArgOf,
  instanceSetup,
  labProbesIn,
  probeDefinitions,
  probeRemovals,
  type ProbeSite,
} from '../../src/engine/kprobe-plan.js';
import { parseAddr2line, SymbolTable } from '../../src/engine/symbolize.js';
import { captureValue, framesOf, returnAddresses, siteChain } from '../../src/engine/stack-hits.js';
import { parseBufferStats, parseEngineTrace, parseKprobeProfile } from '../../src/engine/engine-trace.js';
import { checkGuestEngineRequest } from '../../src/engine/guest-engine.js';
import type { LabError } from '../../src/errors.js';
import { validateDebugFlags } from '../../src/lab/debug.js';

const site = (over: Partial<ProbeSite> = {}): ProbeSite => ({
  breakpoint: 'compact_zone',
  site: 1,
  sites: 1,
  address: 0xffffffff811d4ce0n,
  probe: 0xffffffff811d4ce9n,
  event: 'b0s1',
  ...over,
});

describe('--engine guest: the kprobe plan', () => {
  it('places one probe per site, at the probe address, with the captures as named fetch-args', () => {
    expect(
      probeDefinitions([site(), site({ event: 'b1s1', probe: 0xffffffff811d2876n })], ['%di', '+8(%di):u32']),
    ).toBe(
      'p:lab_engine/b0s1 0xffffffff811d4ce9 c0=%di ' +
        'c1=+8(%di):u32\np:lab_engine/b1s1 0xffffffff811d2876 c0=%di c1=+8(%di):u32',
    );
  });

  it('refuses a capture no kprobe can read, in one line that names the way out', () => {
    expect(fetchArgOf('$arg2')).toBe('$arg2');
    expect(fetchArgOf('@jiffies:u64')).toBe('@jiffies:u64');
    expect(fetchArgOf('+0(+16(%si)):string')).toBe('+0(+16(%si)):string');
    expect(() => fetchArgOf('cc->order')).toThrow(/--capture cc->order is not something a kprobe can read/);
    try {
      fetchArgOf('cc->order');
    } catch (err) {
      expect((err as LabError).line()).toMatch(/C expressions need --engine gdb/);
    }
    expect(() => fetchArgOf('%di:float')).toThrow(/not something a kprobe can read/);
    expect(() => fetchArgOf('%di; rm -rf /')).toThrow(/not something a kprobe can read/);
  });

  it('arms its own instance: buffer, no overwrite, stacks with addresses, the armed mark last', () => {
    const writes = instanceSetup(4096);
    expect(writes.map(([f]) => f)).toEqual([
      'instances/lab_engine/tracing_on',
      'instances/lab_engine/buffer_size_kb',
      'instances/lab_engine/options/overwrite',
      'instances/lab_engine/options/stacktrace',
      'instances/lab_engine/options/sym-offset',
      'instances/lab_engine/options/sym-addr',
      'instances/lab_engine/events/lab_engine/enable',
      'instances/lab_engine/tracing_on',
      'instances/lab_engine/trace_marker',
    ]);
    expect(writes.every(([f]) => f.startsWith('instances/lab_engine/'))).toBe(true);
    expect(() => instanceSetup(8)).toThrow(/--buffer-kb 8 is too small/);
  });

  it("removes lab's probes only, a user's own left alone", () => {
    const listed =
      'p:kprobes/mine do_sys_open\np:lab_engine/b0s1 0xffffffff811d4ce9 c0=%di\nr:lab_engine/b1s2 0xffffffff811d2876\n';
    expect(labProbesIn(listed)).toEqual(['b0s1', 'b1s2']);
    expect(probeRemovals(labProbesIn(listed))).toBe('-:lab_engine/b0s1\n-:lab_engine/b1s2');
  });

  it('refuses what only gdb can do before anything is armed', () => {
    const base = { breakpoints: ['compact_zone'] };
    expect(() => checkGuestEngineRequest({ ...base, via: 'kgdb' })).toThrow(/not through KGDB/);
    expect(() => checkGuestEngineRequest({ ...base, args: true })).toThrow(/--args needs gdb/);
    expect(() => checkGuestEngineRequest({ ...base, snapshots: ['buddy'] })).toThrow(/--snapshot needs gdb/);
    expect(() => checkGuestEngineRequest({ breakpoints: ['compact_zone if cc->order > 0'] })).toThrow(
      /without conditions/,
    );
    expect(() => validateDebugFlags({ break: ['compact_zone'], count: 1, timeout: 1, bufferKb: 1024 })).toThrow(
      /--buffer-kb is for --engine guest/,
    );
    expect(() =>
      validateDebugFlags({ break: ['compact_zone'], count: 1, timeout: 1, engine: 'guest', capture: ['cc->order'] }),
    ).toThrow(/not something a kprobe can read/);
  });
});

describe('--engine guest: reading what the kernel wrote', () => {
  it('reads kprobe_profile and the per-CPU buffer statistics', () => {
    const profile =
      '  b0s1                                                   39915               0\n ' +
      ' mine                                                         3               1\n';
    expect(parseKprobeProfile(profile, 'lab_engine').get('b0s1')).toEqual({ hits: 39915, misses: 0 });
    // kernels that print the group: only lab's group counts
    expect(parseKprobeProfile('  other/b1s1  9  9\n  lab_engine/b1s1  5  0\n', 'lab_engine').get('b1s1')).toEqual({
      hits: 5,
      misses: 0,
    });
    const stats =
      'entries: 120\noverrun: 0\ncommit overrun: 0\nbytes: 34560\noldest ' +
      'event ts:    12.000\nnow ts:    13.5\ndropped events: 7\nread events: 0\n';
    expect(parseBufferStats(stats)).toMatchObject({
      entries: 120,
      overrun: 0,
      commit_overrun: 0,
      dropped_events: 7,
      read_events: 0,
    });
  });

  it("reads addr2line's chains, inline frames innermost first, paths relative to the source tree", () => {
    const out = [
      '0xffffffff811d2876',
      'compact_unlock_should_abort',
      '/lab/linux/mm/compaction.c:521',
      'isolate_freepages_block',
      '/lab/linux/mm/compaction.c:572 (discriminator 2)',
      '0xffffffff81a00067',
      '??',
      '??:0',
      '0xffffffff810022bd',
      'x64_sys_call',
      '/lab/build/arch/x86/include/generated/asm/syscalls_64.h:2',
    ].join('\n');
    const chains = parseAddr2line(out);
    expect(chains.get(0xffffffff811d2876n)).toEqual([
      { function: 'compact_unlock_should_abort', file: 'mm/compaction.c', line: 521 },
      { function: 'isolate_freepages_block', file: 'mm/compaction.c', line: 572 },
    ]);
    expect(chains.get(0xffffffff81a00067n)).toEqual([{ function: null, file: null, line: null }]);
    expect(chains.get(0xffffffff810022bdn)?.[0]?.file).toBe('arch/x86/include/generated/asm/syscalls_64.h');
  });

  it(
    'builds frames as gdb does: inline frames share the pc, caller ' +
      'frames show the return address, System.map names assembly',
    () => {
      // nm -S: entry_SYSCALL_64 is sized and covers the label inside it, as gdb's minimal symbols see it
      const symbols = SymbolTable.parse(
        'ffffffff81a00000 0000000000000112 T entry_SYSCALL_64\nffffffff81a00063 T ' +
          'entry_SYSCALL_64_after_hwframe\nffffffff811d4ce0 ' +
          '0000000000000ef0 t compact_zone\nffffffff81a00200 T after_it\n',
      );
      expect(symbols.nameAt(0xffffffff81a00067n)).toBe('entry_SYSCALL_64');
      expect(symbols.nameAt(0xffffffff81a00201n)).toBe('after_it');
      const chains = new Map([
        [0xffffffff811d4ce0n, [{ function: 'compact_zone', file: 'mm/compaction.c', line: 2291 }]],
        [0xffffffff811d5e96n, [{ function: 'compact_node', file: 'mm/compaction.c', line: 2691 }]],
        [
          0xffffffff81a00067n,
          [{ function: 'entry_SYSCALL_64_after_hwframe', file: 'arch/x86/entry/entry_64.S', line: 121 }],
        ],
      ]);
      // the saved ip (one past the int3 at the probe), compact_node's return address, the entry, user space beyond
      const stack = [0xffffffff811d4cean, 0xffffffff811d5e97n, 0xffffffff81a00068n, 0xffffffff81a00100n];
      expect(returnAddresses(stack, 0xffffffff811d4ce9n)).toEqual(stack.slice(1));
      const { frames, trimmed } = framesOf(stack, site(), chains, symbols);
      expect(frames.map((f) => [f.function, f.pc, f.inlined])).toEqual([
        ['compact_zone', '0xffffffff811d4ce0', false],
        ['compact_node', '0xffffffff811d5e97', false],
        ['entry_SYSCALL_64', '0xffffffff81a00068', false],
      ]);
      expect(trimmed).toBe(true);
    },
  );

  it("starts frame 0 at the breakpoint function's outermost inline level, as gdb does", () => {
    const nested = [
      { function: 'isolation_suitable', file: 'mm/compaction.c', line: 222 },
      { function: 'isolation_suitable', file: 'mm/compaction.c', line: 216 },
      { function: 'isolate_migratepages_block', file: 'mm/compaction.c', line: 888 },
    ];
    expect(siteChain(nested, 'isolation_suitable')?.map((l) => l.line)).toEqual([216, 888]);
    expect(siteChain(nested, undefined)).toHaveLength(3);
    expect(siteChain(nested.slice(1), 'isolation_suitable')).toHaveLength(2);
  });

  it('turns fetch-args into captures: numbers, strings, faults', () => {
    expect(captureValue('0x1a')).toEqual({ value: 26 });
    expect(captureValue('0xffffffff811d4ce0')).toEqual({ value: '0xffffffff811d4ce0' });
    expect(captureValue('-3')).toEqual({ value: -3 });
    expect(captureValue('"kcompactd0"')).toEqual({ value: 'kcompactd0' });
    expect(captureValue('(fault)')).toEqual({ error: 'fault: the address could not be read' });
    expect(captureValue(undefined)).toEqual({ error: 'not fetched' });
  });
});

describe('--engine guest: the trace', () => {
  it('pairs every probe event with the stack that follows it on its CPU, and finds the armed mark', () => {
    const trace = [
      '# tracer: nop',
      '#',
      '       lab-write-88     [000] .....    40.100000: ' +
        'tracing_mark_write+0xd9/0x230 <ffffffff8110efe9>: lab-engine-armed',
      '              sh-91      [001] d.Z..    40.200000: b0s1: (compact_zone+0x9/0x9a0 <ffffffff811d4ce9>) c0=0x2',
      '     kcompactd0-17      [000] d.Z..    40.200001: b1s1: ' +
        '(isolate_freepages_block+0x306/0x5a0 <ffffffff811d2876>)',
      '              sh-91      [001] d.Z..    40.200002: <stack trace>',
      ' => compact_zone+0xa/0x9a0 <ffffffff811d4cea>',
      ' => compact_node+0x96/0xc0 <ffffffff811d5e97>',
      '     kcompactd0-17      [000] d.Z..    40.200003: <stack trace>',
      ' => isolate_freepages_block+0x307/0x5a0 <ffffffff811d2877>',
      '           <...>-92      [001] d.Z..    40.300000: b0s1: (compact_zone+0x9/0x9a0 <ffffffff811d4ce9>) c0=0x0',
    ].join('\n');
    const parsed = parseEngineTrace(trace, new Set(['b0s1', 'b1s1']));
    expect(parsed.armedAt).toBe(40.1);
    expect(parsed.hits.map((h) => [h.event, h.cpu, h.comm, h.pid, h.stack.length])).toEqual([
      ['b0s1', 1, 'sh', 91, 2],
      ['b1s1', 0, 'kcompactd0', 17, 1],
      ['b0s1', 1, null, 92, 0],
    ]);
    expect(parsed.hits[0]!.args).toEqual({ c0: '0x2' });
    expect(parsed.hits[0]!.stack[1]).toBe(0xffffffff811d5e97n);
    expect(parsed.withoutStack).toBe(1);
  });

  it("reads the real 6.1 guest's trace: the mark, the probe, its stack from the probed instruction", () => {
    const parsed = parseEngineTrace(
      readFileSync(path.join(PROJECT, 'test', 'data', 'engine', 'trace-6.1-initramfs.txt'), 'utf8'),
      new Set(['b0s1', 'b1s1']),
    );
    expect(parsed.armedAt).toBe(116.84519);
    const [zone, unlock] = parsed.hits;
    expect(zone).toMatchObject({ event: 'b0s1', cpu: 0, comm: 'sh', pid: 668, timestamp: 116.873432 });
    // the saved ip is one past the probe (compact_zone+0x9), then compact_node's return address
    expect(zone!.stack.slice(0, 2)).toEqual([0xffffffff811d4cean, 0xffffffff811d5d97n]);
    expect(zone!.stack).toHaveLength(11);
    expect(unlock!.event).toBe('b1s1');
    expect(unlock!.stack[0]).toBe(0xffffffff811d2877n);
  });
});
