import { loadPageAssets, renderPage } from './html.js';
import { buildRunReport } from './model.js';
import { runFile } from '../record/files.js';
import type { RunContents } from '../record/run-contents.js';
import { writeRunFileAtomically } from '../record/write.js';

export interface WrittenReport {
  file: string;
  bytes: number;
  seconds: number;
}

/** report.html of a run, from what it recorded (in memory, or read back by lab report). */
export async function writeReportOf(
  dir: string,
  contents: RunContents & { manifest: Record<string, unknown> },
): Promise<WrittenReport> {
  const started = performance.now();
  const report = buildRunReport(contents);
  const html = renderPage(report.title, { page: 'run', report }, await loadPageAssets());
  const bytes = await writeRunFileAtomically(dir, 'report', html);
  return { file: runFile(dir, 'report'), bytes, seconds: (performance.now() - started) / 1000 };
}
