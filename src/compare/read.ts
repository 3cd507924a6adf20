import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { functionNamesFromSystemMap } from '../gdb/suggest.js';
import { foldedHits } from '../export/folded.js';
import { readHits, readManifest, readTraceFolded, readTraceSummary, readVerdicts } from '../record/read-run.js';
import { asList as list, asObject as obj, asTextOr } from '../util/json-narrow.js';
import type { RunFigures } from './compare.js';

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

/** What a run directory has to compare: its figures, stacks and verdicts, each file read through record/. */
export async function readRunFigures(dir: string): Promise<RunFigures> {
  const manifest = obj(await readManifest(dir));
  const figures: Record<string, number> = {};
  if (typeof manifest.seconds === 'number') figures['wall time (s)'] = manifest.seconds;
  const verdictsFile = await readVerdicts(dir);
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
  const hits = await readHits(dir);
  if (hits) {
    for (const h of hits) figures[`hits ${h.breakpoint}`] = (figures[`hits ${h.breakpoint}`] ?? 0) + 1;
    stacks = stacksOf(foldedHits(hits));
  }
  const traceSummary = await readTraceSummary(dir);
  if (traceSummary && !verdictsFile) {
    for (const f of list(traceSummary.functions).map(obj))
      if (typeof f.calls === 'number') figures[`calls ${String(f.fn)}`] = f.calls;
    numbers(figures, 'event', traceSummary.events);
  }
  const traceFolded = await readTraceFolded(dir);
  if (traceFolded !== undefined) stacks = [...stacks, ...stacksOf(traceFolded)];
  const request = obj(manifest.request);
  const kernel = obj(manifest.kernel);
  const kernelKey = kernel.key;
  const what =
    manifest.kind === 'scenario'
      ? `scenario ${String(obj(request.scenario).name)}`
      : manifest.kind === 'debug'
        ? `debug ${list(request.breakpoints).join(' ')}`
        : manifest.kind === 'dump'
          ? 'dump'
          : `trace ${asTextOr(request.tracer, '')}`;
  return {
    id: asTextOr(manifest.id, path.basename(dir)),
    kind: String(manifest.kind),
    what,
    kernel: [asTextOr(kernel.version, '?'), ...(typeof kernel.arch === 'string' ? [kernel.arch] : [])].join(' '),
    ...(typeof kernelKey === 'string' ? { kernelKey } : {}),
    figures,
    stacks,
    verdicts,
  };
}

/**
 * The function names of the kernels a group of runs ran, from each one's
 * System.map in the store; undefined when any of them is not there (a run
 * from another machine), so nothing is called inlined on no evidence.
 */
export async function readKernelFunctions(
  runs: RunFigures[],
  systemMapOf: (kernelKey: string) => string,
): Promise<Set<string> | undefined> {
  const keys = [...new Set(runs.map((r) => r.kernelKey))];
  const names = new Set<string>();
  for (const key of keys) {
    if (key === undefined) return undefined;
    const file = systemMapOf(key);
    if (!existsSync(file)) return undefined;
    for (const n of functionNamesFromSystemMap(await readFile(file, 'utf8'))) names.add(n);
  }
  return keys.length ? names : undefined;
}
