import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { asText, asTextOr, isObject } from '../util/json-narrow.js';
import type { RunEvidence } from './exercises.js';

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The hits of hits.jsonl, a line that is not a hit skipped (the file comes from someone else). */
export function parseHits(text: string): RunEvidence['hits'] {
  const hits: RunEvidence['hits'] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let h: unknown;
    try {
      h = JSON.parse(line);
    } catch {
      continue;
    }
    if (!isObject(h) || typeof h.breakpoint !== 'string') continue;
    const frames = Array.isArray(h.frames)
      ? h.frames.flatMap((f) => (isObject(f) && typeof f.function === 'string' ? [f.function] : []))
      : [];
    hits.push({ breakpoint: h.breakpoint, frames });
  }
  return hits;
}

/** What a run directory shows, read defensively: a missing or malformed file leaves that part empty. */
export async function readRunEvidence(runDir: string): Promise<RunEvidence> {
  const manifest = await readJson(path.join(runDir, 'manifest.json'));
  const m = isObject(manifest) ? manifest : {};
  const request = isObject(m.request) ? m.request : {};
  const scenario =
    isObject(request.scenario) && typeof request.scenario.name === 'string' ? request.scenario.name : undefined;
  const hitsFile = path.join(runDir, 'hits.jsonl');
  const hits = existsSync(hitsFile) ? parseHits(await readFile(hitsFile, 'utf8')) : [];
  const v = await readJson(path.join(runDir, 'verdicts.json'));
  const verdicts =
    isObject(v) && Array.isArray(v.verdicts)
      ? v.verdicts.filter(isObject).map((x) => ({
          path: asText(x.path),
          ok: x.ok === true,
          fired: x.fired === true,
          rows: Array.isArray(x.rows)
            ? x.rows
                .filter(isObject)
                .map((r) => ({ what: asTextOr(r.what, ''), got: asTextOr(r.got, ''), met: r.met === true }))
            : [],
        }))
      : [];
  return {
    id: path.basename(runDir),
    kind: typeof m.kind === 'string' ? m.kind : 'unknown',
    breakpoints:
      scenario && isObject(request.scenario) && isObject(request.scenario.breakpoints)
        ? strings(request.scenario.breakpoints.functions)
        : strings(request.breakpoints),
    scenario,
    hits,
    verdicts,
  };
}

/** The run directories under dir, sorted by id. */
export async function runDirs(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => path.join(dir, e.name))
    .sort();
}
