/**
 * The picture of a scenario run, as SVG (pure): the node's fragmentation score
 * over time, and the compaction counters' growth over time, each line scaled
 * to its own largest value and labelled with it.
 */
export interface Sample {
  t: number;
  score: number;
  vmstat: Record<string, number>;
}

const W = 900;
const PANEL = 200;
const LEFT = 56;
const RIGHT = 280;
const TOP = 36;
const GAP = 56;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

export const CHART_COUNTERS = [
  'compact_migrate_scanned',
  'compact_free_scanned',
  'compact_isolated',
  'compact_stall',
  'compact_success',
  'compact_daemon_wake',
  'compact_daemon_migrate_scanned',
  'thp_fault_alloc',
];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

function polyline(points: Array<[number, number]>, color: string): string {
  return (
    `<polyline fill="none" stroke="${color}" stroke-width="2" ` +
    `points="${points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`
  );
}

export function scenarioChart(title: string, samples: Sample[]): string {
  const plotW = W - LEFT - RIGHT;
  const h = TOP + PANEL * 2 + GAP + 40;
  const tMax = Math.max(1, ...samples.map((s) => s.t));
  const x = (t: number) => LEFT + (t / tMax) * plotW;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  const axes = (top: number, label: string, yMaxLabel: string) => {
    parts.push(`<rect x="${LEFT}" y="${top}" width="${plotW}" height="${PANEL}" fill="none" stroke="#999"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${top + 10}" text-anchor="end">${esc(yMaxLabel)}</text>`);
    parts.push(`<text x="${LEFT - 6}" y="${top + PANEL}" text-anchor="end">0</text>`);
    parts.push(`<text x="${LEFT}" y="${top - 6}">${esc(label)}</text>`);
    parts.push(`<text x="${LEFT + plotW}" y="${top + PANEL + 14}" text-anchor="end">${tMax.toFixed(0)} s</text>`);
  };

  // the fragmentation score, 0 to 100
  const top1 = TOP + 10;
  axes(top1, 'fragmentation score (node 0, as kcompactd computes it)', '100');
  if (samples.length)
    parts.push(
      polyline(
        samples.map((s) => [x(s.t), top1 + PANEL - (s.score / 100) * PANEL]),
        COLORS[0]!,
      ),
    );

  // the counters, growth since the first sample
  const top2 = top1 + PANEL + GAP;
  axes(top2, 'compaction counters since the start (each line scaled to its own maximum)', 'max');
  const first = samples[0]?.vmstat ?? {};
  let legend = 0;
  CHART_COUNTERS.forEach((name, i) => {
    const deltas = samples.map((s) => (s.vmstat[name] ?? 0) - (first[name] ?? 0));
    const max = Math.max(0, ...deltas);
    if (max <= 0) return;
    const color = COLORS[i % COLORS.length]!;
    parts.push(
      polyline(
        samples.map((s, j) => [x(s.t), top2 + PANEL - (deltas[j]! / max) * PANEL]),
        color,
      ),
    );
    parts.push(
      `<text x="${LEFT + plotW + 8}" y="${top2 + 12 + legend * 16}" fill="${color}">${esc(name)} +${max}</text>`,
    );
    legend++;
  });
  if (legend === 0)
    parts.push(
      `<text x="${LEFT + plotW / 2}" y="${top2 + PANEL / 2}" ` +
        `text-anchor="middle" fill="#666">no compaction counter moved</text>`,
    );
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
