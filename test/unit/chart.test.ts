import { describe, expect, it } from 'vitest';
import { CHART_COUNTERS, scenarioChart } from '../../src/report/chart.js';

describe('the scenario chart', () => {
  const samples = [0, 1, 2, 3].map((t) => ({
    t,
    score: [10, 60, 40, 5][t]!,
    vmstat: { compact_migrate_scanned: [0, 100, 900, 1000][t]!, compact_stall: 0 },
  }));

  it('draws the score and each counter that moved, labelled with its growth', () => {
    const svg = scenarioChart('lab run proactive', samples);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('compact_migrate_scanned +1000');
    expect(svg).not.toContain('compact_stall +');
    expect(CHART_COUNTERS).toContain('compact_daemon_wake');
  });

  it('says so when no counter moved, and escapes the title', () => {
    const svg = scenarioChart('a < b & c', [{ t: 0, score: 0, vmstat: {} }]);
    expect(svg).toContain('no compaction counter moved');
    expect(svg).toContain('a &lt; b &amp; c');
  });
});
