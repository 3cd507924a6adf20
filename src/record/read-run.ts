import { parsePagetypeinfo, type PagetypeInfo } from '../sample/parse.js';
import { splitTailOutput } from '../sample/snapshot.js';
import { parseTrace } from '../trace/ftrace-parse.js';
import { runFile } from './files.js';
import { parseHits } from './hit-schema.js';
import { parseJsonLines, readRunJson, readRunManifestOf, readRunText } from './read-file.js';
import type { RunContents } from './run-contents.js';
import {
  manifestSchema,
  sampleSchema,
  snapshotSchema,
  stepsSchema,
  traceSummarySchema,
  verdictsSchema,
  type Manifest,
} from './schemas.js';

/** The pagetypeinfo of a before.txt or after.txt (tail's output of SNAPSHOT_FILES), if it has one (pure). */
export function pagetypeOf(raw: string): PagetypeInfo | undefined {
  const pagetype = splitTailOutput(raw)['/proc/pagetypeinfo'];
  return pagetype ? parsePagetypeinfo(pagetype) : undefined;
}

/** Text that is there and not empty: an empty file is a part the run did not get to. */
async function nonEmpty(dir: string, key: Parameters<typeof readRunText>[1]): Promise<string | undefined> {
  const text = await readRunText(dir, key);
  return text ? text : undefined;
}

export function readManifest(dir: string): Promise<Manifest> {
  return readRunManifestOf(dir, manifestSchema);
}

export async function readHits(dir: string) {
  const text = await readRunText(dir, 'hits');
  return text === undefined ? undefined : parseHits(text, runFile(dir, 'hits'), 'RUN_DAMAGED');
}

export async function readSnapshots(dir: string) {
  const text = await nonEmpty(dir, 'snapshots');
  return text === undefined ? undefined : parseJsonLines(text, runFile(dir, 'snapshots'), snapshotSchema);
}

export async function readVerdicts(dir: string) {
  return (await nonEmpty(dir, 'verdicts')) === undefined ? undefined : readRunJson(dir, 'verdicts', verdictsSchema);
}

export function readTraceSummary(dir: string) {
  return readRunJson(dir, 'traceSummary', traceSummarySchema);
}

export function readTraceFolded(dir: string): Promise<string | undefined> {
  return readRunText(dir, 'traceFolded');
}

/** Everything a report or an export draws from, read from a run directory, each file checked. */
export async function readRunContents(dir: string): Promise<RunContents & { manifest: Manifest }> {
  const contents: RunContents & { manifest: Manifest } = { manifest: await readManifest(dir) };
  const hits = await readHits(dir);
  if (hits) contents.hits = hits;
  const snapshots = await readSnapshots(dir);
  if (snapshots) contents.snapshots = snapshots;
  const trace = await nonEmpty(dir, 'trace');
  if (trace) contents.records = parseTrace(trace);
  const samples = await nonEmpty(dir, 'samples');
  if (samples) contents.samples = parseJsonLines(samples, runFile(dir, 'samples'), sampleSchema);
  const verdicts = await readVerdicts(dir);
  if (verdicts) contents.verdicts = verdicts;
  if (await nonEmpty(dir, 'steps')) contents.steps = await readRunJson(dir, 'steps', stepsSchema);
  for (const [file, key] of [
    ['before', 'pagetypeBefore'],
    ['after', 'pagetypeAfter'],
  ] as const) {
    const raw = await nonEmpty(dir, file);
    const pagetype = raw ? pagetypeOf(raw) : undefined;
    if (pagetype) contents[key] = pagetype;
  }
  return contents;
}
