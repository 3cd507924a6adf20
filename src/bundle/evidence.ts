import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunFileKey } from '../record/files.js';
import { readRunText } from '../record/read-file.js';
import { asTextOr, isObject } from '../util/json-narrow.js';
import type { RunEvidence } from './exercises.js';
import type { RecordedFrame } from './frame-check.js';

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

/** A recorded frame, if the value is one. */
function frameOf(f: unknown): RecordedFrame | undefined {
  if (!isObject(f) || typeof f.pc !== 'string') return undefined;
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    function: text(f.function),
    file: text(f.file),
    line: typeof f.line === 'number' ? f.line : null,
    pc: f.pc,
    inlined: f.inlined === true,
  };
}

/** The hits of a run's hits file, a line that is not a hit counted, not read (the file comes from someone else). */
export function parseHits(text: string): { hits: RunEvidence['hits']; unreadable: number } {
  const hits: RunEvidence['hits'] = [];
  let unreadable = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let h: unknown;
    try {
      h = JSON.parse(line);
    } catch {
      unreadable++;
      continue;
    }
    if (!isObject(h) || typeof h.breakpoint !== 'string' || !Array.isArray(h.frames)) {
      unreadable++;
      continue;
    }
    const frames = h.frames.map(frameOf);
    if (frames.some((f) => f === undefined)) {
      unreadable++;
      continue;
    }
    hits.push({
      seq: typeof h.seq === 'number' ? h.seq : null,
      breakpoint: h.breakpoint,
      function: typeof h.function === 'string' ? h.function : null,
      frames: frames.filter((f) => f !== undefined),
    });
  }
  return { hits, unreadable };
}

/** What a run directory shows, read defensively: a missing or malformed file leaves that part empty. */
export async function readRunEvidence(runDir: string): Promise<RunEvidence> {
  const manifest = await readJson(runDir, 'manifest');
  const m = isObject(manifest) ? manifest : {};
  const request = isObject(m.request) ? m.request : {};
  const scenario =
    isObject(request.scenario) && typeof request.scenario.name === 'string' ? request.scenario.name : undefined;
  const { hits, unreadable } = parseHits((await readLeniently(runDir, 'hits')) ?? '');
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
    unreadableHits: unreadable,
    verdicts,
    context: {
      proactiveness:
        isObject(v) && isObject(v.evidence) && typeof v.evidence.proactiveness === 'number'
          ? v.evidence.proactiveness
          : undefined,
      thpDefrag:
        isObject(v) && isObject(v.evidence) && typeof v.evidence.thpDefrag === 'string'
          ? v.evidence.thpDefrag
          : undefined,
    },
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
