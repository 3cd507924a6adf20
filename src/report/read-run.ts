import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import { parseHits } from '../gdb/hits.js';
import { parsePagetypeinfo } from '../sample/parse.js';
import type { Sample } from '../sample/sample.js';
import { splitTailOutput } from '../sample/snapshot.js';
import { parseTrace } from '../trace/ftrace-parse.js';
import type { RunFiles, Snapshot } from './run-files.js';

async function text(dir: string, name: string): Promise<string | undefined> {
  const file = path.join(dir, name);
  return existsSync(file) ? readFile(file, 'utf8') : undefined;
}

function jsonLines<T>(t: string, file: string): T[] {
  return t
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l) as T;
      } catch {
        throw new LabError('RUN_DAMAGED', `${file} line ${i + 1} is not JSON`);
      }
    });
}

function json<T>(t: string, file: string): T {
  try {
    return JSON.parse(t) as T;
  } catch {
    throw new LabError('RUN_DAMAGED', `${file} is not JSON`);
  }
}

/** Everything a report draws from, read from a run directory. */
export async function readRunFiles(dir: string): Promise<RunFiles> {
  const manifestText = await text(dir, 'manifest.json');
  if (manifestText === undefined) throw new LabError('RUN_UNKNOWN', `${dir} is not a run directory (no manifest.json)`);
  const files: RunFiles = { manifest: json(manifestText, path.join(dir, 'manifest.json')) };
  const hits = await text(dir, 'hits.jsonl');
  if (hits !== undefined) files.hits = parseHits(hits, path.join(dir, 'hits.jsonl'));
  const snapshots = await text(dir, 'snapshots.jsonl');
  if (snapshots) files.snapshots = jsonLines<Snapshot>(snapshots, path.join(dir, 'snapshots.jsonl'));
  const trace = await text(dir, 'trace.txt');
  if (trace) files.records = parseTrace(trace);
  const samples = await text(dir, 'samples.jsonl');
  if (samples) files.samples = jsonLines<Sample>(samples, path.join(dir, 'samples.jsonl'));
  const verdicts = await text(dir, 'verdicts.json');
  if (verdicts) files.verdicts = json(verdicts, path.join(dir, 'verdicts.json'));
  const steps = await text(dir, 'steps.json');
  if (steps) files.steps = json(steps, path.join(dir, 'steps.json'));
  for (const [name, key] of [
    ['before.txt', 'pagetypeBefore'],
    ['after.txt', 'pagetypeAfter'],
  ] as const) {
    const raw = await text(dir, name);
    const pagetype = raw ? splitTailOutput(raw)['/proc/pagetypeinfo'] : undefined;
    if (pagetype) files[key] = parsePagetypeinfo(pagetype);
  }
  return files;
}
