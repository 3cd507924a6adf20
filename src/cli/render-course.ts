import type { CheckRow } from '../lab/hand-in.js';
import type { LockRow } from '../lock/lock.js';

/** Columns padded to their widest cell; the last column runs free. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function renderVerify(r: { lockFile: string; rows: LockRow[]; same: boolean }): string {
  const rows = r.rows.map((row) => [row.same ? 'same' : 'DIFFERENT', row.item, row.same ? short(row.here) : (row.detail ?? '')]);
  const differ = r.rows.filter((x) => !x.same).map((x) => x.item);
  const verdict = r.same ? `every item of ${r.lockFile} is the same here` : `${differ.length} of ${r.rows.length} items differ from ${r.lockFile}: ${differ.join(', ')}`;
  return `${table(['', 'item', 'here'], rows)}\n${verdict}`;
}

function short(v: string): string {
  return /^[0-9a-f]{64}$/.test(v) ? `sha256 ${v.slice(0, 16)}…` : v;
}

export function renderCheck(r: { rows: CheckRow[]; passed: boolean; bundles: number; seconds: number }): string {
  const rows = r.rows.map((x) => [x.student, x.exercise, x.result, x.evidence]);
  const failed = r.rows.filter((x) => x.result !== 'pass').length;
  const summary = `${r.bundles} bundle(s), ${r.rows.length} row(s), ${failed} not passing, in ${r.seconds.toFixed(1)} s`;
  const perStudent = new Map<string, { pass: number; total: number }>();
  for (const x of r.rows) {
    const key = `${x.student} (${x.bundle})`;
    const s = perStudent.get(key) ?? { pass: 0, total: 0 };
    s.total++;
    if (x.result === 'pass') s.pass++;
    perStudent.set(key, s);
  }
  const totals = table(['student', 'passed'], [...perStudent].map(([k, s]) => [k, `${s.pass} of ${s.total}`]));
  return `${table(['student', 'exercise', 'result', 'evidence'], rows)}\n\n${totals}\n${summary}`;
}
