import { RUN_FILES, type RunFileKey } from '../record/files.js';
import type { RunContents } from '../record/run-contents.js';
import { writeRunFile } from '../record/write.js';
import { chromeTrace } from './chrome-trace.js';
import { foldedHits, foldedTrace } from './folded.js';

/**
 * The exports of a finished run, from what it recorded (in memory at the end
 * of a run): hits.folded (the hits), trace.folded (a function_graph trace),
 * trace.json (all of them, and the samples). Returns the files written.
 */
export async function writeExports(
  runDir: string,
  contents: Pick<RunContents, 'hits' | 'records' | 'samples'>,
): Promise<string[]> {
  const hits = contents.hits ?? [];
  const records = contents.records ?? [];
  const written: string[] = [];
  const write = async (key: RunFileKey, text: string) => {
    await writeRunFile(runDir, key, text);
    written.push(RUN_FILES[key]);
  };
  if (hits.length) await write('hitsFolded', foldedHits(hits));
  if (records.some((r) => r.kind !== 'event')) await write('traceFolded', foldedTrace(records));
  const trace = chromeTrace({ hits, records, samples: contents.samples ?? [] });
  if (trace.traceEvents.length) await write('traceEvents', JSON.stringify(trace));
  return written;
}
