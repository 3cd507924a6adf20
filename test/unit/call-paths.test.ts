import { describe, expect, it } from 'vitest';
import { compareCallPaths, CUT, describeCopies, pathFrames } from '../../src/compare/call-paths.js';

// collapsed stacks as lab recorded them on 6.1.192 in the manual scenario (function_graph on)
const FREE_SCANNER = 'compaction_alloc;isolate_freepages_[i];isolate_freepages_block;compact_unlock_should_abort_[i]';
const X86_HITS = [
  `??;??;ftrace_regs_caller_end;${FREE_SCANNER}`,
  '??;??;??;fixed_percpu_data;??;ftrace_regs_caller_end;compact_node;compact_zone',
];
const ARM64_HITS = [`ftrace_stub_graph;${FREE_SCANNER}`, 'ftrace_stub_graph;compact_node;compact_zone'];

describe('call paths of two kernels', () => {
  it("cuts a backtrace at ftrace's trampoline, where the unwinder lost the real callers", () => {
    expect(pathFrames(X86_HITS[1]!)).toEqual({
      cut: true,
      frames: [
        { base: 'compact_node', form: 'called' },
        { base: 'compact_zone', form: 'called' },
      ],
    });
    // the same code on both architectures, once each side's trampoline frames are cut
    const c = compareCallPaths(X86_HITS, ARM64_HITS);
    expect(c).toEqual({ onlyA: [], onlyB: [], functions: [] });
  });

  it("names a clone on one side and an inlined copy on the other, the seed's x86-against-ARM observation", () => {
    const path = 'sysctl_compaction_handler;compact_node.constprop.0;compact_zone;isolate_freepages_block';
    const a = [`${path};compact_unlock_should_abort.isra.0`];
    const b = [`${path};compact_unlock_should_abort_[i]`];
    const c = compareCallPaths(a, b);
    // the same path once clone suffixes and inline marks are dropped
    expect(c.onlyA).toEqual([]);
    expect(c.onlyB).toEqual([]);
    expect(c.functions).toEqual([
      {
        function: 'compact_unlock_should_abort',
        a: 'called as compact_unlock_should_abort.isra.0 (isra clone)',
        b: 'inlined into isolate_freepages_block',
      },
    ]);
  });

  it("tells a function inlined everywhere from one not called, by the other kernel's symbols", () => {
    const a = ['compact_zone;migrate_pages;migrate_folio;migrate_folio_extra', 'compact_zone;compaction_suitable'];
    const b = ['compact_zone;migrate_pages;migrate_folio_extra'];
    const symbolsB = new Set(['compact_zone', 'migrate_pages', 'migrate_folio_extra', 'compaction_suitable']);
    const c = compareCallPaths(a, b, { b: symbolsB });
    expect(c.onlyA).toEqual([
      'compact_zone;compaction_suitable',
      'compact_zone;migrate_pages;migrate_folio;migrate_folio_extra',
    ]);
    expect(c.onlyB).toEqual(['compact_zone;migrate_pages;migrate_folio_extra']);
    // a path is taken when a longer one on the other side runs through it
    expect(compareCallPaths(['compact_zone'], ['compact_zone;migrate_pages']).onlyA).toEqual([]);
    expect(c.functions).toEqual([
      {
        function: 'compaction_suitable',
        a: 'called',
        b: 'not seen (its kernel has the symbol: inlined where these paths call it, or not called)',
      },
      { function: 'migrate_folio', a: 'called', b: 'not seen, no symbol (inlined everywhere, or not built)' },
    ]);
    // without symbols nothing is called inlined
    expect(compareCallPaths(a, b).functions.map((f) => f.b)).toEqual(['not seen', 'not seen']);
  });

  it('lists functions shown differently before those seen on one side only, and marks a cut root', () => {
    const c = compareCallPaths(
      ['ftrace_caller;kcompactd;compact_zone', 'a.part.0'],
      ['kcompactd_do_work;compact_zone', 'a'],
    );
    expect(c.onlyA).toEqual([`${CUT};kcompactd;compact_zone`]);
    expect(c.functions[0]).toEqual({ function: 'a', a: 'called as a.part.0 (part clone)', b: 'called' });
    expect(c.functions.slice(1).map((f) => f.function)).toEqual(['kcompactd', 'kcompactd_do_work']);
  });

  it("says where a kernel's DWARF put a function: its own copy and each caller it is inlined into", () => {
    // migrate_folio on 6.1.192 arm64: two sites for its own copy (the patchable entry), three inlined
    const arm64 = [
      'migrate_folio',
      'migrate_folio',
      '__buffer_migrate_folio',
      'move_to_new_folio',
      'move_to_new_folio',
    ];
    expect(describeCopies('migrate_folio', arm64)).toBe(
      'own copy; inlined into __buffer_migrate_folio, move_to_new_folio (2)',
    );
    expect(describeCopies('compact_unlock_should_abort', ['isolate_freepages_block'])).toBe(
      'inlined into isolate_freepages_block',
    );
    expect(describeCopies('compact_node', ['compact_node.constprop.0'])).toBe('own copy');
    expect(describeCopies('f', [])).toBe('no code');
  });
});
