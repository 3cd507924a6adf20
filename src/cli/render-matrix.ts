import type { JobEvent } from '../lab/matrix.js';
import type { JobResult } from '../lab/job.js';
import type { MatrixSummary } from '../matrix/summary.js';

const verdictWords = (vs: Array<{ path: string; fired: boolean }>) =>
  vs.map((v) => `${v.path} ${v.fired ? 'fired' : 'quiet'}`).join(', ');

export function renderJobResult(r: JobResult): string {
  if (r.status !== 'done')
    return `job ${r.id}: failed after ${r.seconds.toFixed(0)} s: ${r.error ?? 'no reason recorded'}`;
  return (
    `job ${r.id}: ${r.ok ? 'as expected' : 'NOT as expected'} in ${r.seconds.toFixed(0)} ` +
    `s (${verdictWords(r.verdicts)}), gdb was on 127.0.0.1:${r.gdbPort}\n  run: ${r.runDir}`
  );
}

/** One line per finished job, as the matrix goes. */
export function renderJobEvent(e: JobEvent, done: number, total: number): string | undefined {
  if (e.status === 'started') return undefined;
  const what =
    e.status === 'done' && e.result
      ? `${e.result.ok ? 'as expected' : 'NOT as expected'} (${verdictWords(e.result.verdicts)})`
      : e.status === 'interrupted'
        ? 'interrupted'
        : `FAILED${e.result?.error ? `: ${e.result.error}` : ` (exit ${e.exitCode})`}`;
  return `[${done}/${total}] ${e.id}: ${what}, ${e.seconds?.toFixed(0)} s`;
}

/** The summary table: one row per cell (kernel × scenario). */
export function renderMatrixSummary(s: MatrixSummary, extra: string[] = []): string {
  const rows = s.cells.map((c) => [
    c.cell,
    `${c.done}/${c.runs}`,
    `${c.ok}/${c.done}`,
    c.verdicts.map((v) => `${v.path} ${v.fired}/${v.of}`).join(', ') || '-',
    c.seconds ? `${c.seconds.median} (${c.seconds.min}-${c.seconds.max})` : '-',
  ]);
  const head = ['cell', 'done', 'as expected', 'fired', 'seconds'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const problems = s.problems.map((p) => `  ${p.id}: ${p.status}${p.error ? ` (${p.error})` : ''}`);
  return [
    `matrix ${s.matrix}: ${s.done} of ${s.jobs} jobs done, ${s.failed} failed, ${s.missing} missing`,
    line(head),
    ...rows.map(line),
    ...(problems.length ? ['not done:', ...problems] : []),
    ...(s.comparisons ?? []).map(
      (c) =>
        `compare ${c.scenario}, ${c.a} against ${c.b}: ` +
        `${c.verdictsDiffer.length ? `verdicts differ (${c.verdictsDiffer.join(', ')})` : 'same verdicts'}; ${c.page}`,
    ),
    ...extra,
  ].join('\n');
}

export function renderSlurmStatus(r: {
  out: string;
  build: string;
  gather: string;
  jobs: Array<{ id: string; task: number; state: string }>;
  summary?: string;
}): string {
  const counts = new Map<string, number>();
  for (const j of r.jobs) counts.set(j.state, (counts.get(j.state) ?? 0) + 1);
  return [
    `matrix ${r.out}: build ${r.build}, gather ${r.gather}; ` +
      `tasks: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}`,
    ...r.jobs
      .filter((j) => j.state !== 'COMPLETED')
      .map((j) => `  ${j.id} (task ${j.task}): ${j.state === 'MISSING' ? 'missing' : j.state}`),
    ...(r.summary ? [`summary: ${r.summary}`] : []),
  ].join('\n');
}
