import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseHits } from '../gdb/hits.js';
import { parseTrace } from '../trace/ftrace-parse.js';
import type { Sample } from '../sample/sample.js';
import { chromeTrace } from './chrome-trace.js';
import { foldedHits, foldedTrace } from './folded.js';

async function readIf(file: string): Promise<string | undefined> {
  return existsSync(file) ? readFile(file, 'utf8') : undefined;
}

/**
 * The exports of a finished run, from what its directory holds: hits.folded
 * (hits.jsonl), trace.folded (a function_graph trace.txt), trace.json (all of
 * them, and samples.jsonl). Returns the files written.
 */
export async function writeExports(runDir: string): Promise<string[]> {
  const hitsText = await readIf(path.join(runDir, 'hits.jsonl'));
  const traceText = await readIf(path.join(runDir, 'trace.txt'));
  const samplesText = await readIf(path.join(runDir, 'samples.jsonl'));
  const hits = hitsText ? parseHits(hitsText) : [];
  const records = traceText ? parseTrace(traceText) : [];
  const samples = (samplesText ?? '')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Sample);
  const written: string[] = [];
  const write = async (name: string, text: string) => {
    await writeFile(path.join(runDir, name), text);
    written.push(name);
  };
  if (hits.length) await write('hits.folded', foldedHits(hits));
  if (records.some((r) => r.kind !== 'event')) await write('trace.folded', foldedTrace(records));
  const trace = chromeTrace({ hits, records, samples });
  if (trace.traceEvents.length) await write('trace.json', JSON.stringify(trace));
  return written;
}
