import type { Comparison, RepeatSummary, Spread } from '../compare/compare.js';
import type { CheckRow } from '../lab/hand-in.js';
import type { LockRow } from '../lock/lock.js';
import type { PublishResult } from '../lab/publish.js';
import { sizeInWords } from '../util/checked-file.js';
import { cappedText, terminalJson, terminalText } from '../util/terminal-text.js';

/** Columns padded to their widest cell; the last column runs free. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function renderVerify(r: { lockFile: string; rows: LockRow[]; same: boolean; rebuilt?: boolean }): string {
  const rows = r.rows.map((row) => [
    row.same ? 'same' : row.hostTool ? 'host' : 'DIFFERENT',
    row.item,
    row.same ? short(row.here) : (row.detail ?? ''),
  ]);
  const differ = r.rows.filter((x) => !x.same && !x.hostTool).map((x) => x.item);
  const tools = r.rows.filter((x) => !x.same && x.hostTool).map((x) => x.item);
  const toolNote = tools.length
    ? `\nthis machine's own ${tools.join(' and ')} differ${tools.length === 1 ? 's' : ''} from the teacher's: ` +
      'lab runs them but does not build them, so they do not change what the lab built'
    : '';
  const verdict = r.same
    ? `every item lab builds from ${r.lockFile} is the same here${r.rebuilt ? ', rebuilt from source' : ''}`
    : `${differ.length} of ${r.rows.length} items differ from ${r.lockFile}: ${differ.join(', ')}`;
  return `${table(['', 'item', 'here'], rows)}\n${verdict}${toolNote}`;
}

export function renderPublish(r: PublishResult): string {
  const rows = r.entries.map((e) => [e.name, e.entry, `${e.files} files`, sizeInWords(e.bytes)]);
  return (
    `${table(['', 'entry', '', ''], rows)}\n` +
    `wrote ${r.dir}: ${sizeInWords(r.copied)} copied; serve it as it is and name it "cache" in lab.json`
  );
}

function short(v: string): string {
  return /^[0-9a-f]{64}$/.test(v) ? `sha256 ${v.slice(0, 16)}…` : v;
}

type CheckResult = { rows: CheckRow[]; passed: boolean; bundles: number; seconds: number };

/** Every cell comes from a bundle, so every cell is escaped and capped (terminal-text.ts). */
export function renderCheck(r: CheckResult): string {
  const rows = r.rows.map((x) => [x.student, x.exercise, x.result, x.evidence].map((cell) => terminalText(cell)));
  const failed = r.rows.filter((x) => x.result !== 'pass').length;
  const summary =
    `${r.bundles} bundle(s), ${r.rows.length} row(s), ` + `${failed} not passing, in ${r.seconds.toFixed(1)} s`;
  const perStudent = new Map<string, { pass: number; total: number }>();
  for (const x of r.rows) {
    const key = `${terminalText(x.student, 80)} (${terminalText(x.bundle, 120)})`;
    const s = perStudent.get(key) ?? { pass: 0, total: 0 };
    s.total++;
    if (x.result === 'pass') s.pass++;
    perStudent.set(key, s);
  }
  const totals = table(
    ['student', 'passed'],
    [...perStudent].map(([k, s]) => [k, `${s.pass} of ${s.total}`]),
  );
  return `${table(['student', 'exercise', 'result', 'evidence'], rows)}\n\n${totals}\n${summary}`;
}

/** What a --json field of lab check holds at most: evidence can be megabytes. */
const JSON_FIELD_MAX = 4000;

/** lab check --json: the rows' fields capped, and DEL, C1 and bidi controls escaped as JSON escapes. */
export function checkJson(r: CheckResult): string {
  const cap = (s: string) => cappedText(s, JSON_FIELD_MAX);
  const rows = r.rows.map((x) => ({
    ...x,
    bundle: cap(x.bundle),
    student: cap(x.student),
    exercise: cap(x.exercise),
    evidence: cap(x.evidence),
  }));
  return terminalJson({ ...r, rows }, 2);
}

function figure(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

function spreadText(s: Spread): string {
  return s.n > 1 ? `${figure(s.median)} (${figure(s.min)}–${figure(s.max)})` : figure(s.median);
}

export function renderCompare(c: Comparison): string {
  const out = [
    `A: ${c.a.what} on ${c.a.kernel}, ${c.a.runs.length} run(s)`,
    `B: ${c.b.what} on ${c.b.kernel}, ${c.b.runs.length} run(s)`,
    '',
  ];
  const rows = c.figures.map((f) => [
    f.figure,
    spreadText(f.a),
    spreadText(f.b),
    f.ratio === null ? '-' : `${f.ratio.toFixed(2)}x`,
    f.withinSpread ? 'within the spread' : '',
  ]);
  out.push(table(['figure', 'A', 'B', 'B/A', ''], rows));
  if (c.verdicts.length)
    out.push('', 'verdicts that differ:', ...c.verdicts.map((v) => `  ${v.path}: A ${v.a}, B ${v.b}`));
  const list = (title: string, xs: string[]) =>
    xs.length
      ? [
          '',
          `${title} (${xs.length}):`,
          ...xs.slice(0, 10).map((x) => `  ${x}`),
          ...(xs.length > 10 ? [`  and ${xs.length - 10} more`] : []),
        ]
      : [];
  out.push(...list('call paths only in A', c.onlyA), ...list('call paths only in B', c.onlyB));
  if (c.functions.length) {
    const shown = c.functions.slice(0, 15);
    const side = (label: string, how: string, copies: string | undefined) =>
      `    ${label}: ${how}${copies ? `; its code: ${copies}` : ''}`;
    out.push('', `functions the two kernels show differently (${c.functions.length}):`);
    for (const f of shown) out.push(`  ${f.function}`, side('A', f.a, f.copiesA), side('B', f.b, f.copiesB));
    if (c.functions.length > shown.length) out.push(`  and ${c.functions.length - shown.length} more (compare.html)`);
  }
  return out.join('\n');
}

export function renderRepeats(
  r: Omit<RepeatSummary, 'runs'> & { name: string; runs: Array<{ runDir: string }> },
): string {
  const n = r.runs.length;
  const rows = r.figures.map((f) => [
    f.figure,
    figure(f.spread.median),
    `${figure(f.spread.min)}–${figure(f.spread.max)}`,
  ]);
  const verdicts = r.verdicts.map((v) => `  ${v.path}: fired in ${v.fired} of ${v.of}`);
  return [
    `${r.name}, ${n} run(s): ${r.runs.map((x) => x.runDir).join(', ')}`,
    '',
    table(['figure', 'median', 'min–max'], rows),
    '',
    'verdicts:',
    ...verdicts,
  ].join('\n');
}
