/**
 * The checks that bind a hand-in to the class's kernel and to its own files,
 * on made-up facts: call encodings, frames against inline chains and sites,
 * runs shared between students, and a scenario's series.
 */
import { describe, expect, it } from 'vitest';
import { callEndsAt } from '../../src/bundle/call-site.js';
import {
  disputedLines,
  hitProblem,
  physicalFrames,
  plainLocation,
  type KernelFacts,
  type RecordedHit,
} from '../../src/bundle/frame-check.js';
import { bundlePrint, sharedRuns } from '../../src/bundle/shared-runs.js';
import { seriesProblem } from '../../src/bundle/scenario-check.js';
import type { Snapshot } from '../../src/sample/snapshot.js';

const bytes = (...b: number[]) => Buffer.from([0x90, 0x90, 0x90, ...b].slice(-8));

describe('callEndsAt', () => {
  it('knows x86_64 call rel32 and call r/m64, and nothing else', () => {
    expect(callEndsAt('x86_64', bytes(0xe8, 1, 2, 3, 4))).toBe(true);
    expect(callEndsAt('x86_64', bytes(0xff, 0xd0))).toBe(true); // call *%rax
    expect(callEndsAt('x86_64', bytes(0x41, 0xff, 0xd3))).toBe(true); // call *%r11
    expect(callEndsAt('x86_64', bytes(0xff, 0x50, 0x08))).toBe(true); // call *0x8(%rax)
    expect(callEndsAt('x86_64', bytes(0xff, 0x14, 0x25, 1, 2, 3, 4))).toBe(true); // call *abs32 via SIB
    expect(callEndsAt('x86_64', bytes(0xff, 0xe0))).toBe(false); // jmp *%rax
    expect(callEndsAt('x86_64', bytes(0xe8, 1, 2, 3, 4, 0x90))).toBe(false); // one instruction past the call
    expect(callEndsAt('x86_64', bytes(0x48, 0x89, 0xc7))).toBe(false); // mov %rax,%rdi
  });

  it('knows arm64 BL and BLR', () => {
    const insn = (w: number) => {
      const b = Buffer.alloc(8);
      b.writeUInt32LE(w >>> 0, 4);
      return b;
    };
    expect(callEndsAt('aarch64', insn(0x94000123))).toBe(true); // bl
    expect(callEndsAt('aarch64', insn(0xd63f0020))).toBe(true); // blr x1
    expect(callEndsAt('aarch64', insn(0x14000123))).toBe(false); // b
    expect(callEndsAt('aarch64', insn(0xd61f0020))).toBe(false); // br x1
  });
});

const frame = (fn: string, line: number, pc: string, inlined = false) => ({
  function: fn,
  file: 'mm/compaction.c',
  line,
  pc,
  inlined,
});
const hit = (frames: RecordedHit['frames'], breakpoint = 'compact_zone'): RecordedHit => ({
  seq: 1,
  breakpoint,
  frames,
});
const facts: KernelFacts = {
  sites: new Map([['compact_zone', new Set([0x1000n, 0x1009n])]]),
  chains: new Map([
    [0x1000n, [{ function: 'compact_zone', file: 'mm/compaction.c', line: 2291 }]],
    [
      0x2004n,
      [
        { function: 'compact_nodes', file: 'mm/compaction.c', line: 2707 },
        { function: 'sysctl_compaction_handler', file: 'mm/compaction.c', line: 2749 },
      ],
    ],
  ]),
  calls: new Map([[0x2005n, true]]),
  lines: new Map([[0x2004n, { file: 'include/linux/mmzone.h', line: 1587 }]]),
  functionAt: (name) => name,
};
const real = () =>
  hit([
    frame('compact_zone', 2291, '0x1000'),
    frame('compact_nodes', 2707, '0x2005', true),
    frame('sysctl_compaction_handler', 2749, '0x2005'),
  ]);

describe('hitProblem', () => {
  it('passes a hit whose every frame is what the kernel says', () => {
    expect(hitProblem(real(), facts)).toBeUndefined();
  });

  it('names the frame a forger changed', () => {
    const renamed = real();
    renamed.frames[2]!.function = 'kcompactd_do_work';
    expect(hitProblem(renamed, facts)).toMatch(/frame 2 \(kcompactd_do_work .*vmlinux has sysctl_compaction_handler/);
    const moved = real();
    moved.frames[1]!.pc = moved.frames[2]!.pc = '0x2006';
    expect(hitProblem(moved, facts)).toMatch(/no call instruction ends at this pc/);
    const notSite = real();
    notSite.frames[0]!.pc = '0x1004';
    expect(hitProblem(notSite, facts)).toMatch(/not a site of the breakpoint compact_zone/);
    const flattened = real();
    flattened.frames.splice(1, 1);
    expect(hitProblem(flattened, facts)).toMatch(/vmlinux has 2 function\(s\) at this pc/);
    const badPc = real();
    badPc.frames[0]!.pc = 'somewhere';
    expect(hitProblem(badPc, facts)).toMatch(/the pc is not an address/);
    expect(hitProblem(hit([], 'compact_zone'), facts)).toMatch(/has no frames/);
    expect(hitProblem({ ...real(), breakpoint: '$(rm -rf /)' }, facts)).toMatch(/no plain function/);
  });

  it("takes gdb's line-table row for the innermost frame of a pc, where addr2line reads the DWARF otherwise", () => {
    const gdbs = real();
    gdbs.frames[1] = { ...gdbs.frames[1]!, file: 'include/linux/mmzone.h', line: 1587 };
    expect(hitProblem(gdbs, facts)).toBeUndefined();
    expect(disputedLines(gdbs, facts.chains)).toEqual([0x2004n]);
    const outer = real();
    outer.frames[2] = { ...outer.frames[2]!, file: 'include/linux/mmzone.h', line: 1587 };
    expect(hitProblem(outer, facts)).toMatch(/frame 2 .*vmlinux has sysctl_compaction_handler mm\/compaction.c:2749/);
  });

  it('at frame 0, lets gdb hide an inlined callee that begins at the stop, and nothing at a caller', () => {
    const inner = { function: 'get_current', file: 'arch/x86/include/asm/current.h', line: 47 };
    const withCallee = new Map(facts.chains);
    withCallee.set(0x1000n, [inner, ...facts.chains.get(0x1000n)!]);
    withCallee.set(0x2004n, [inner, ...facts.chains.get(0x2004n)!]);
    expect(hitProblem(real(), { ...facts, chains: new Map([...withCallee].filter(([a]) => a === 0x1000n)) })).toBe(
      'hit 1 frame 1 (compact_nodes at 0x2005): vmlinux has 0 function(s) at this pc (none), the hit 2',
    );
    expect(hitProblem(real(), { ...facts, chains: withCallee })).toMatch(/frame 1 .*vmlinux has 3 function\(s\)/);
    const atZero = new Map(facts.chains);
    atZero.set(0x1000n, [inner, ...facts.chains.get(0x1000n)!]);
    expect(hitProblem(real(), { ...facts, chains: atZero })).toBeUndefined();
  });

  it('groups inlined frames with the frame they were inlined into', () => {
    expect(physicalFrames(real().frames)).toHaveLength(2);
    expect(physicalFrames([frame('a', 1, '0x1', true), frame('b', 2, '0x2')])).toMatch(/marked inlined/);
  });

  it('hands gdb only a function name or FILE:LINE', () => {
    expect(plainLocation('compact_zone if cc->order > 0')).toBe('compact_zone');
    expect(plainLocation('mm/compaction.c:2291')).toBe('mm/compaction.c:2291');
    expect(plainLocation('*0xffffffff81000000')).toBeUndefined();
    expect(plainLocation('"; shell id')).toBeUndefined();
  });
});

describe('sharedRuns', () => {
  const hash = (c: string) => c.repeat(64);
  it('flags a run id or a run file two students both handed in, and not one student twice', () => {
    const r1 = '20261206-122849233Z-debug';
    const ada = bundlePrint('ada.tar.gz', 'ada', [r1], { [`runs/${r1}/hits.jsonl`]: hash('a') });
    const bob = bundlePrint('bob.tar.gz', 'bob', [r1], { [`runs/${r1}/hits.jsonl`]: hash('b') });
    const eve = bundlePrint('eve.tar.gz', 'eve', ['r9'], { 'runs/r9/hits.jsonl': hash('a') });
    const ada2 = bundlePrint('ada2.tar.gz', 'ada', [r1], { [`runs/${r1}/hits.jsonl`]: hash('a') });
    const cy = bundlePrint('cy.tar.gz', 'cy', ['r1'], { 'runs/r1/hits.jsonl': hash('c') });
    const dee = bundlePrint('dee.tar.gz', 'dee', ['r1'], { 'runs/r1/hits.jsonl': hash('d') });
    expect(sharedRuns([cy, dee]).size).toBe(0);
    expect(sharedRuns([ada, ada2]).size).toBe(0);
    const found = sharedRuns([ada, bob, eve]);
    expect(found.get('bob.tar.gz')).toBe(`run ${r1} is also in ada's bundle ada.tar.gz`);
    expect(found.get('eve.tar.gz')).toBe(
      `runs/r9/hits.jsonl (as runs/${r1}/hits.jsonl) is also in ada's bundle ada.tar.gz`,
    );
  });

  it('ignores files two honest runs can share', () => {
    const a = bundlePrint('a', 'ada', ['r1'], { 'runs/r1/hits.folded': hash('c'), 'runs/r1/recorder.stop': hash('d') });
    const b = bundlePrint('b', 'bob', ['r2'], { 'runs/r2/hits.folded': hash('c'), 'runs/r2/recorder.stop': hash('d') });
    expect(sharedRuns([a, b]).size).toBe(0);
  });
});

describe('seriesProblem', () => {
  const snap = (counter: number, score = 10): Snapshot => ({
    t: 0,
    score,
    vmstat: { compact_migrate_scanned: counter, nr_free_pages: 5 },
    buddyinfo: [],
  });
  const line = (t: number, counter: number, score = 10) => ({ t, score, vmstat: { compact_migrate_scanned: counter } });

  it('accepts a series that begins with before.txt, ends with after.txt and only grows', () => {
    expect(seriesProblem(snap(1), [line(0, 1), line(1, 5), line(2, 9)], snap(9))).toBeUndefined();
  });

  it('names an edited counter, a falling counter and a series without its ends', () => {
    expect(seriesProblem(snap(1), [line(0, 1), line(2, 9)], snap(18))).toBe(
      'after.txt has compact_migrate_scanned 18, samples.jsonl 9',
    );
    expect(seriesProblem(snap(1), [line(0, 1), line(1, 20), line(2, 9)], snap(9))).toMatch(/falls in samples\.jsonl/);
    expect(seriesProblem(snap(1), [line(0, 1)], snap(1))).toMatch(/fewer than two samples/);
    expect(seriesProblem(snap(1, 3), [line(0, 1), line(2, 9)], snap(9))).toMatch(
      /scores of before\.txt and after\.txt/,
    );
  });
});
