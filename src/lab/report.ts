import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Comparison } from '../compare/compare.js';
import { LabError } from '../errors.js';
import { loadPageAssets, renderPage } from '../report/html.js';
import { resolveRunDir } from '../record/run-dir.js';
import { buildRunReport } from '../report/model.js';
import { readRunFiles } from '../report/read-run.js';
import { writeFileAtomically } from '../util/atomic-write.js';
import type { LabContext } from './context.js';

export interface WrittenReport {
  file: string;
  bytes: number;
  seconds: number;
}

/** report.html of one run directory, from the files the run left. */
export async function writeRunReport(runDir: string): Promise<WrittenReport> {
  const started = performance.now();
  const report = buildRunReport(await readRunFiles(runDir));
  const html = renderPage(report.title, { page: 'run', report }, await loadPageAssets());
  const file = path.join(runDir, 'report.html');
  const bytes = await writeFileAtomically(file, html);
  return { file, bytes, seconds: (performance.now() - started) / 1000 };
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
  const ids = existsSync(ctx.paths.runs)
    ? (await readdir(ctx.paths.runs)).filter((id) => existsSync(path.join(ctx.paths.runs, id, 'manifest.json'))).sort()
    : [];
  if (ids.length === 0) throw new LabError('NO_RUNS', `there are no runs in ${ctx.paths.runs}`);
  return path.join(ctx.paths.runs, ids.at(-1)!);
}

/** lab report [RUN]. */
export async function reportRun(ctx: LabContext, ref?: string): Promise<WrittenReport> {
  return writeRunReport(await findRun(ctx, ref));
}

/**
 * The report a finished run writes by default. A page that cannot be drawn
 * must not cost the run its results: it is reported, and the run stands.
 */
export async function reportAfterRun(ctx: LabContext, runDir: string): Promise<string | undefined> {
  if (ctx.report === false) return undefined;
  try {
    return (await writeRunReport(runDir)).file;
  } catch (err) {
    ctx.progress.notice(`report.html was not written: ${(err as Error).message}`);
    return undefined;
  }
}
