import path from 'node:path';
import type { Comparison } from '../compare/compare.js';
import { LabError } from '../errors.js';
import { loadPageAssets, renderPage } from '../report/html.js';
import { readRunContents } from '../record/read-run.js';
import { writeReportOf, type WrittenReport } from '../report/write-report.js';
import { resolveRunDir, runIds } from '../record/run-dir.js';
import { writeFileAtomically } from '../util/atomic-write.js';
import type { LabContext } from './context.js';

export type { WrittenReport } from '../report/write-report.js';

/** report.html of one run directory, from the files the run left, each read through record/. */
export async function writeRunReport(runDir: string): Promise<WrittenReport> {
  return writeReportOf(runDir, await readRunContents(runDir));
}

/** compare.html of a comparison. */
export async function writeCompareReport(file: string, comparison: Comparison): Promise<WrittenReport> {
  const started = performance.now();
  const title = `lab compare: ${comparison.a.what} (A) against ${comparison.b.what} (B)`;
  const html = renderPage(title, { page: 'compare', comparison }, await loadPageAssets());
  const bytes = await writeFileAtomically(path.resolve(file), html);
  return { file: path.resolve(file), bytes, seconds: (performance.now() - started) / 1000 };
}

/** A run by id (in this lab's runs/) or by path; without one, the newest run. */
export async function findRun(ctx: LabContext, ref?: string): Promise<string> {
  if (ref !== undefined) return resolveRunDir(ctx.paths.runs, ref);
  const ids = await runIds(ctx.paths.runs);
  if (ids.length === 0) throw new LabError('NO_RUNS', `there are no runs in ${ctx.paths.runs}`);
  return path.join(ctx.paths.runs, ids.at(-1)!);
}

/** lab report [RUN]. */
export async function reportRun(ctx: LabContext, ref?: string): Promise<WrittenReport> {
  return writeRunReport(await findRun(ctx, ref));
}
