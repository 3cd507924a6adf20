import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunFileKey } from '../record/files.js';
import { readRunText } from '../record/read-file.js';
import { asTextOr, isObject } from '../util/json-narrow.js';
import type { RunEvidence } from './exercises.js';

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** A run file of someone else's run, through record/'s checked reader; anything wrong with it leaves it out. */
async function readLeniently(dir: string, key: RunFileKey): Promise<string | undefined> {
  return readRunText(dir, key).catch(() => undefined);
}

async function readJson(dir: string, key: RunFileKey): Promise<unknown> {
  try {
    return JSON.parse((await readLeniently(dir, key)) ?? '');
  } catch {
    return undefined;
  }
}

/** The hits of a run's hits file, a line that is not a hit skipped (the file comes from someone else). */
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
  const manifest = await readJson(runDir, 'manifest');
  const m = isObject(manifest) ? manifest : {};
  const request = isObject(m.request) ? m.request : {};
  const scenario =
    isObject(request.scenario) && typeof request.scenario.name === 'string' ? request.scenario.name : undefined;
  const hits = parseHits((await readLeniently(runDir, 'hits')) ?? '');
  const v = await readJson(runDir, 'verdicts');
  const verdicts =
    isObject(v) && Array.isArray(v.verdicts)
      ? v.verdicts.filter(isObject).map((x) => ({
          path: asTextOr(x.path, '?'),
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

export { isRunDir } from '../record/run-dir.js';
