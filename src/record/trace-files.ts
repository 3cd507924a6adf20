import { summarizedTrace, type SavedTrace } from '../trace/trace.js';
import { writeRunFile } from './write.js';

/** The raw trace and its summary, written into the run directory; the trace is parsed once, here. */
export async function saveTrace(runDir: string, text: string): Promise<SavedTrace> {
  const saved = summarizedTrace(text);
  await writeRunFile(runDir, 'trace', text);
  await writeRunFile(runDir, 'traceSummary', JSON.stringify(saved.summary, null, 2));
  return saved;
}
