import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  freePages,
  isCompactionCounter,
  nodeFragmentationScore,
  parseBuddyinfo,
  parseExtfragIndex,
  parsePagetypeinfo,
  parseVmstat,
  parseZoneinfoPresent,
  vmstatDelta,
  zoneFragmentationScore,
} from '../../src/sample/parse.js';
import { snapshotFromFiles, splitTailOutput } from '../../src/sample/snapshot.js';

/** Captured from this project's own VM (Debian image, lab's 6.1 kernel, 2 GiB, TCG): see test/data/README.md. */
const DATA = path.resolve(import.meta.dirname, '..', 'data');
const read = (dir: string, f: string) => readFileSync(path.join(DATA, dir, f), 'utf8');

describe("samplers on files captured from the lab's own guest", () => {
  for (const dir of readdirSync(DATA).filter((d) => d.startsWith('guest-'))) {
    describe(dir, () => {
      it('reads every compaction counter from /proc/vmstat', () => {
        const v = parseVmstat(read(dir, 'vmstat.txt'));
        for (const n of [
          'compact_migrate_scanned',
          'compact_free_scanned',
          'compact_isolated',
          'compact_stall',
          'compact_fail',
          'compact_success',
          'compact_daemon_wake',
          'compact_daemon_migrate_scanned',
          'compact_daemon_free_scanned',
          'thp_fault_alloc',
          'pgmigrate_success',
        ]) {
          expect(v[n], n).toBeTypeOf('number');
        }
        expect(v.nr_free_pages).toBeGreaterThan(0);
        expect(Object.keys(v).filter(isCompactionCounter).length).toBeGreaterThan(15);
      });

      it('reads buddyinfo, zoneinfo and pagetypeinfo consistently', () => {
        const zones = parseBuddyinfo(read(dir, 'buddyinfo.txt'));
        expect(zones.map((z) => z.zone)).toContain('DMA32');
        const dma32 = zones.find((z) => z.zone === 'DMA32')!;
        expect(dma32.free).toHaveLength(11);
        const present = parseZoneinfoPresent(read(dir, 'zoneinfo.txt'));
        expect(present.find((p) => p.zone === 'DMA32')!.present).toBeGreaterThan(500_000);
        const pti = parsePagetypeinfo(read(dir, 'pagetypeinfo.txt'));
        expect(pti.pageblockOrder).toBe(9);
        // free blocks per order, summed over migrate types, are buddyinfo's numbers (unless capped at >100000)
        const byOrder = dma32.free.map((_, o) =>
          pti.free.filter((f) => f.zone === 'DMA32').reduce((s, f) => s + f.free[o]!, 0),
        );
        byOrder.forEach((n, o) => {
          if (n < 100_000) expect(n, `order ${o}`).toBe(dma32.free[o]);
        });
        const blocks = pti.blocks.find((b) => b.zone === 'DMA32')!.counts;
        expect(blocks.Movable).toBeGreaterThan(blocks.Unmovable!);
        // pageblocks of 512 pages cover the zone's present pages
        const totalBlocks = Object.values(blocks).reduce((s, n) => s + n, 0);
        expect(Math.abs(totalBlocks * 512 - present.find((p) => p.zone === 'DMA32')!.present)).toBeLessThan(512 * 2);
      });

      it('computes the zone score that unusable_index shows at order 9', () => {
        const dma32 = parseBuddyinfo(read(dir, 'buddyinfo.txt')).find((z) => z.zone === 'DMA32')!;
        const unusable = parseExtfragIndex(read(dir, 'unusable_index.txt')).find((z) => z.zone === 'DMA32')!;
        expect(unusable.values).toHaveLength(11);
        expect(zoneFragmentationScore(dma32)).toBe(Math.floor(unusable.values[9]! * 100 + 1e-9));
        const extfrag = parseExtfragIndex(read(dir, 'extfrag_index.txt')).find((z) => z.zone === 'DMA32')!;
        for (const v of extfrag.values) expect(v === -1 || (v >= 0 && v <= 1)).toBe(true);
      });

      it('builds a whole snapshot from one tail -n +1 of every file', () => {
        const files = ['vmstat', 'buddyinfo', 'pagetypeinfo', 'zoneinfo'].map(
          (f) => [`/proc/${f}`, read(dir, `${f}.txt`)] as const,
        );
        const extfrag = ['unusable_index', 'extfrag_index'].map(
          (f) => [`/sys/kernel/debug/extfrag/${f}`, read(dir, `${f}.txt`)] as const,
        );
        const tail = [...files, ...extfrag].map(([p, t]) => `==> ${p} <==\n${t}`).join('\n');
        const split = splitTailOutput(tail);
        expect(Object.keys(split)).toHaveLength(6);
        const snap = snapshotFromFiles(split, 1.5);
        expect(snap.t).toBe(1.5);
        expect(snap.buddyinfo.length).toBeGreaterThan(0);
        expect(snap.score).toBe(
          nodeFragmentationScore(
            parseBuddyinfo(read(dir, 'buddyinfo.txt')).map((z) => ({
              ...z,
              present: parseZoneinfoPresent(read(dir, 'zoneinfo.txt')).find((p) => p.zone === z.zone)!.present,
            })),
          ),
        );
      });
    });
  }
});

describe('fragmentation arithmetic', () => {
  it('counts free pages by order and scores a zone as the kernel does', () => {
    const zone = { node: 0, zone: 'Normal', free: [1000, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1] };
    expect(freePages(zone)).toBe(1000 + 512 + 1024);
    expect(freePages(zone, 9)).toBe(1536);
    expect(zoneFragmentationScore(zone)).toBe(Math.floor((100 * 1000) / 2536));
    expect(zoneFragmentationScore({ node: 0, zone: 'X', free: [] })).toBe(0);
  });

  it('weighs zones by present pages and rounds each down, as fragmentation_score_node does', () => {
    const zones = [
      { node: 0, zone: 'DMA32', free: [100], present: 500_000 },
      { node: 0, zone: 'Normal', free: [0, 0, 0, 0, 0, 0, 0, 0, 0, 10], present: 1_500_000 },
    ];
    // DMA32 scores 100, Normal 0: ⌊500000 × 100 / 2000001⌋ + 0
    expect(nodeFragmentationScore(zones)).toBe(24);
  });

  it('takes deltas of the counters that matter', () => {
    expect(
      vmstatDelta(
        { compact_stall: 2, nr_free_pages: 9, pgfault: 1 },
        { compact_stall: 5, nr_free_pages: 3, pgfault: 9 },
      ),
    ).toEqual({ compact_stall: 3, nr_free_pages: -6 });
  });
});
