import type { PagetypeInfo, ZoneFree } from '../sample/parse.js';
import { asObject as obj, asText as str } from '../util/json-narrow.js';
import type { Snapshot } from './run-files.js';
import type { Heatmap } from './run-report.js';

/** The free lists as heatmaps (pure): rows are zones or migrate types, columns orders. */

/** lab debug --snapshot buddy: one heatmap per snapshot and zone, migrate type × order. */
export function snapshotHeatmaps(snapshots: Snapshot[]): Heatmap[] {
  const out: Heatmap[] = [];
  for (const s of snapshots) {
    if (s.kind !== 'buddy' || !Array.isArray(s.data)) continue;
    for (const zone of s.data.map(obj)) {
      const byType = obj(zone.by_type);
      const types = Object.keys(byType);
      const orders = Math.max(0, ...types.map((t) => (Array.isArray(byType[t]) ? (byType[t] as unknown[]).length : 0)));
      out.push({
        title: `free blocks, zone ${str(zone.zone)}, ${s.when === 'hit' ? `at hit ${str(s.seq)}` : `at the ${s.when}`}`,
        rows: types,
        cols: Array.from({ length: orders }, (_, i) => `order ${i}`),
        values: types.map((t) => (byType[t] as unknown[]).map(Number)),
      });
    }
  }
  return out;
}

export function buddyHeatmap(title: string, zones: ZoneFree[]): Heatmap {
  const orders = Math.max(0, ...zones.map((z) => z.free.length));
  return {
    title,
    rows: zones.map((z) => `node ${z.node} ${z.zone}`),
    cols: Array.from({ length: orders }, (_, i) => `order ${i}`),
    values: zones.map((z) => Array.from({ length: orders }, (_, i) => z.free[i] ?? 0)),
  };
}

export function pagetypeHeatmap(title: string, info: PagetypeInfo): Heatmap {
  const rows = info.free.filter((f) => f.free.some((n) => n > 0) || f.type === 'Movable' || f.type === 'Unmovable');
  const orders = Math.max(0, ...rows.map((f) => f.free.length));
  return {
    title,
    rows: rows.map((f) => `${f.zone} ${f.type}`),
    cols: Array.from({ length: orders }, (_, i) => `order ${i}`),
    values: rows.map((f) => Array.from({ length: orders }, (_, i) => f.free[i] ?? 0)),
  };
}
