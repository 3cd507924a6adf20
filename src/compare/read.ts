import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import { foldedHits } from '../export/folded.js';
import { parseHits } from '../gdb/hits.js';
import { asList as list, asObject as obj, asText, asTextOr, type JsonObject } from '../util/json-narrow.js';
import type { RunFigures } from './compare.js';

type Obj = JsonObject;

async function readJson(file: string): Promise<Obj | undefined> {
  return existsSync(file) ? obj(JSON.parse(await readFile(file, 'utf8'))) : undefined;
}

function stacksOf(folded: string): string[] {
  return folded
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(0, l.lastIndexOf(' ')));
}

/** Every numeric field of o as "prefix name" figures. */
function numbers(into: Record<string, number>, prefix: string, o: unknown): void {
  for (const [k, v] of Object.entries(obj(o))) if (typeof v === 'number') into[`${prefix} ${k}`] = v;
}

/** What a run directory has to compare: its figures, stacks and verdicts. */
export async function readRunFigures(dir: string): Promise<RunFigures> {
  const manifest = await readJson(path.join(dir, 'manifest.json'));
  if (!manifest) throw new LabError('RUN_UNKNOWN', `${dir} is not a run directory (no manifest.json)`);
  const figures: Record<string, number> = {};
  if (typeof manifest.seconds === 'number') figures['wall time (s)'] = manifest.seconds;
  const verdictsFile = await readJson(path.join(dir, 'verdicts.json'));
  const verdicts: Record<string, string> = {};
  if (verdictsFile) {
    const e = obj(verdictsFile.evidence);
    numbers(figures, 'vmstat', e.counters);
    numbers(figures, 'event', e.events);
    numbers(figures, 'calls', e.calls);
    const score = obj(e.score);
    for (const k of ['first', 'max', 'last']) if (typeof score[k] === 'number') figures[`score ${k}`] = score[k];
    for (const v of list(verdictsFile.verdicts).map(obj))
      verdicts[String(v.path)] = v.fired === true ? 'fired' : 'quiet';
  }
  let stacks: string[] = [];
  const hitsFile = path.join(dir, 'hits.jsonl');
  if (existsSync(hitsFile)) {
    const hits = parseHits(await readFile(hitsFile, 'utf8'), hitsFile);
    for (const h of hits) figures[`hits ${h.breakpoint}`] = (figures[`hits ${h.breakpoint}`] ?? 0) + 1;
    stacks = stacksOf(foldedHits(hits));
  }
  const traceSummary = await readJson(path.join(dir, 'trace-summary.json'));
  if (traceSummary && !verdictsFile) {
    for (const f of list(traceSummary.functions).map(obj))
      if (typeof f.calls === 'number') figures[`calls ${String(f.fn)}`] = f.calls;
    numbers(figures, 'event', traceSummary.events);
  }
  const traceFolded = path.join(dir, 'trace.folded');
  if (existsSync(traceFolded)) stacks = [...stacks, ...stacksOf(await readFile(traceFolded, 'utf8'))];
  const request = obj(manifest.request);
  const what =
    manifest.kind === 'scenario'
      ? `scenario ${String(obj(request.scenario).name)}`
      : manifest.kind === 'debug'
        ? `debug ${list(request.breakpoints).join(' ')}`
        : `trace ${asTextOr(request.tracer, '')}`;
  return {
    id: asTextOr(manifest.id, path.basename(dir)),
    kind: String(manifest.kind),
    what,
    kernel: asText(obj(manifest.kernel).version),
    figures,
    stacks,
    verdicts,
  };
}
