import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import { foldedHits } from '../export/folded.js';
import { parseHits } from '../gdb/hits.js';
import type { RunFigures } from './compare.js';

/** JSON that lab itself wrote into a run directory, read field by field with fallbacks. */
type Json = Record<string, any>;

async function json(file: string): Promise<Json | undefined> {
  return existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as Json) : undefined;
}

function stacksOf(folded: string): string[] {
  return folded.split('\n').filter(Boolean).map((l) => l.slice(0, l.lastIndexOf(' ')));
}

/** What a run directory has to compare: its figures, stacks and verdicts. */
export async function readRunFigures(dir: string): Promise<RunFigures> {
  const manifest = await json(path.join(dir, 'manifest.json'));
  if (!manifest) throw new LabError('RUN_UNKNOWN', `${dir} is not a run directory (no manifest.json)`);
  const figures: Record<string, number> = {};
  if (typeof manifest.seconds === 'number') figures['wall time (s)'] = manifest.seconds;
  const verdictsFile = await json(path.join(dir, 'verdicts.json'));
  const verdicts: Record<string, string> = {};
  if (verdictsFile) {
    const e = verdictsFile.evidence ?? {};
    for (const [k, v] of Object.entries(e.counters ?? {})) if (typeof v === 'number') figures[`vmstat ${k}`] = v;
    for (const [k, v] of Object.entries(e.events ?? {})) if (typeof v === 'number') figures[`event ${k}`] = v;
    for (const [k, v] of Object.entries(e.calls ?? {})) if (typeof v === 'number') figures[`calls ${k}`] = v;
    if (e.score && typeof e.score.last === 'number') {
      figures['score first'] = e.score.first;
      figures['score max'] = e.score.max;
      figures['score last'] = e.score.last;
    }
    for (const v of verdictsFile.verdicts ?? []) verdicts[String(v.path)] = v.fired ? 'fired' : 'quiet';
  }
  let stacks: string[] = [];
  const hitsFile = path.join(dir, 'hits.jsonl');
  if (existsSync(hitsFile)) {
    const hits = parseHits(await readFile(hitsFile, 'utf8'), hitsFile);
    for (const h of hits) figures[`hits ${h.breakpoint}`] = (figures[`hits ${h.breakpoint}`] ?? 0) + 1;
    stacks = stacksOf(foldedHits(hits));
  }
  const traceSummary = await json(path.join(dir, 'trace-summary.json'));
  if (traceSummary && !verdictsFile) {
    for (const f of traceSummary.functions ?? []) figures[`calls ${f.fn}`] = f.calls;
    for (const [k, v] of Object.entries(traceSummary.events ?? {})) if (typeof v === 'number') figures[`event ${k}`] = v;
  }
  const traceFolded = path.join(dir, 'trace.folded');
  if (existsSync(traceFolded)) stacks = [...stacks, ...stacksOf(await readFile(traceFolded, 'utf8'))];
  const request = manifest.request ?? {};
  const what = manifest.kind === 'scenario' ? `scenario ${request.scenario?.name}` : manifest.kind === 'debug' ? `debug ${(request.breakpoints ?? []).join(' ')}` : `trace ${request.tracer ?? ''}`;
  return { id: String(manifest.id ?? path.basename(dir)), kind: String(manifest.kind), what, kernel: String(manifest.kernel?.version ?? '?'), figures, stacks, verdicts };
}
