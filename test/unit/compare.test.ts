import { describe, expect, it } from 'vitest';
import { compareGroups, spread, type RunFigures } from '../../src/compare/compare.js';

const run = (id: string, figures: Record<string, number>, extra: Partial<RunFigures> = {}): RunFigures => ({
  id,
  kind: 'scenario',
  what: 'scenario manual',
  kernel: '6.1.192',
  figures,
  stacks: [],
  verdicts: {},
  ...extra,
});

describe('lab compare', () => {
  it('takes the median and range of a group', () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(spread([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
  });

  it(
    'puts each figure side by side with its ratio, compaction ' +
      'first, and marks a difference inside the spread of repeats',
    () => {
      const a = [
        run('a1', { 'vmstat compact_migrate_scanned': 100, 'wall time (s)': 36, 'vmstat pgfault': 5 }),
        run('a2', { 'vmstat compact_migrate_scanned': 140, 'wall time (s)': 38 }),
        run('a3', { 'vmstat compact_migrate_scanned': 120, 'wall time (s)': 40 }),
      ];
      const b = [
        run('b1', { 'vmstat compact_migrate_scanned': 300, 'wall time (s)': 39, 'vmstat pgfault': 10 }),
        run('b2', { 'vmstat compact_migrate_scanned': 260, 'wall time (s)': 41 }),
      ];
      const c = compareGroups(a, b);
      expect(c.figures.map((f) => f.figure)).toEqual([
        'wall time (s)',
        'vmstat compact_migrate_scanned',
        'vmstat pgfault',
      ]);
      const scanned = c.figures[1]!;
      expect(scanned).toMatchObject({
        a: { median: 120, min: 100, max: 140, n: 3 },
        b: { median: 280, n: 2 },
        withinSpread: false,
      });
      expect(scanned.ratio).toBeCloseTo(280 / 120);
      expect(c.figures[0]).toMatchObject({ withinSpread: true });
      expect(c.a.runs).toEqual(['a1', 'a2', 'a3']);
    },
  );

  it('never calls two single runs "within the spread", and gives no ratio over zero', () => {
    const c = compareGroups([run('a', { x: 0, y: 5 })], [run('b', { x: 3, y: 5 })]);
    expect(c.figures.map((f) => [f.figure, f.ratio, f.withinSpread])).toEqual([
      ['x', null, false],
      ['y', 1, false],
    ]);
  });

  it('lists the stacks seen on one side only and the verdicts that differ, counted over repeats', () => {
    const a = [
      run(
        'a1',
        {},
        { stacks: ['compact_zone', 'kcompactd;compact_zone'], verdicts: { manual: 'fired', kcompactd: 'quiet' } },
      ),
    ];
    const b = [
      run('b1', {}, { stacks: ['compact_zone'], verdicts: { manual: 'fired', kcompactd: 'fired' } }),
      run('b2', {}, { stacks: ['proactive_compact_node'], verdicts: { manual: 'fired', kcompactd: 'quiet' } }),
    ];
    const c = compareGroups(a, b);
    expect(c.onlyA).toEqual(['kcompactd;compact_zone']);
    expect(c.onlyB).toEqual(['proactive_compact_node']);
    expect(c.verdicts).toEqual([{ path: 'kcompactd', a: 'quiet', b: 'fired 1 of 2' }]);
  });
});

describe('lab run --repeat', () => {
  it("gives compaction's figures as median and range, and each verdict as fired k of N", async () => {
    const { summarizeRepeats } = await import('../../src/compare/compare.js');
    const runs = [
      run(
        'r1',
        { 'vmstat compact_migrate_scanned': 184734, 'wall time (s)': 38.6, 'vmstat pgfault': 1 },
        { verdicts: { manual: 'fired' } },
      ),
      run('r2', { 'vmstat compact_migrate_scanned': 160041, 'wall time (s)': 35.8 }, { verdicts: { manual: 'fired' } }),
      run('r3', { 'vmstat compact_migrate_scanned': 188724, 'wall time (s)': 38.2 }, { verdicts: { manual: 'quiet' } }),
    ];
    const s = summarizeRepeats(runs);
    expect(s.figures).toEqual([
      { figure: 'wall time (s)', spread: { median: 38.2, min: 35.8, max: 38.6, n: 3 } },
      { figure: 'vmstat compact_migrate_scanned', spread: { median: 184734, min: 160041, max: 188724, n: 3 } },
    ]);
    expect(s.verdicts).toEqual([{ path: 'manual', fired: 2, of: 3 }]);
  });
});
