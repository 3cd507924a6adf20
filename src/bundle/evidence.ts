import { existsSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import { RUN_FILES, runFile, type RunFileKey } from '../record/files.js';
import { forEachLine } from '../util/bounded-lines.js';
import { readCheckedText, sizeInWords } from '../util/checked-file.js';
import { asTextOr, isObject } from '../util/json-narrow.js';
import type { RunEvidence } from './exercises.js';
import type { RecordedFrame } from './frame-check.js';

const MiB = 1024 * 1024;

/**
 * What lab check reads of someone else's runs, at most: each JSON record;
 * each hits file, and its longest line (a real hit is a few KiB; a longer
 * line is skipped as a line that is not a hit is); the hits of one run; and
 * what the runs' evidence files of one bundle hold together, as every run
 * is judged at once. A million hits of a bare breakpoint name hold about
 * 100 MiB in memory: these keep lab check under 256 MiB on any bundle.
 */
export const EVIDENCE_LIMITS = {
  jsonBytes: 4 * MiB,
  hitsBytes: 24 * MiB,
  hitLine: MiB,
  hits: 1_000_000,
  bundleBytes: 24 * MiB,
} as const;
/** The run files the evidence is read from: what bundleBytes counts, over all of a bundle's runs. */
export const EVIDENCE_FILES = [RUN_FILES.manifest, RUN_FILES.hits, RUN_FILES.verdicts] as const;

/**
 * Why a bundle's runs' evidence files are too much together, or undefined
 * (pure; sizes by path in the bundle): every run is judged at once, so all
 * its evidence is held at once.
 */
export function evidenceProblem(runs: string[], sizes: Map<string, number>): string | undefined {
  let total = 0;
  for (const id of runs) for (const f of EVIDENCE_FILES) total += sizes.get(`runs/${id}/${f}`) ?? 0;
  if (total <= EVIDENCE_LIMITS.bundleBytes) return undefined;
  return (
    `its runs' ${EVIDENCE_FILES.join(', ')} come to ${sizeInWords(total)} ` +
    `(lab check reads at most ${sizeInWords(EVIDENCE_LIMITS.bundleBytes)} of them)`
  );
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * A run file's path when the run has one (its absence leaves that part of
 * the evidence empty); lstat's other errors are the run's damage.
 */
async function present(dir: string, key: RunFileKey): Promise<string | undefined> {
  const file = runFile(dir, key);
  try {
    await lstat(file);
    return file;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new LabError('RUN_DAMAGED', `${file} cannot be read (${code ?? 'error'})`);
  }
}

/**
 * A JSON record of someone else's run. Anything wrong with the file (a
 * directory, a FIFO, a link, too big) is RUN_DAMAGED naming it; text that
 * is not JSON leaves that part empty.
 */
async function readJson(dir: string, key: RunFileKey): Promise<unknown> {
  const file = await present(dir, key);
  if (!file) return undefined;
  const text = await readCheckedText(file, { code: 'RUN_DAMAGED', maxBytes: EVIDENCE_LIMITS.jsonBytes });
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

type Hit = RunEvidence['hits'][number];

/**
 * One name kept once however many hits repeat it, up to a number of
 * distinct names: a run's hits name the same few functions over and over.
 */
function interner(max = 10_000): (s: string) => string {
  const seen = new Map<string, string>();
  return (s) => {
    const known = seen.get(s);
    if (known !== undefined) return known;
    if (seen.size < max) seen.set(s, s);
    return s;
  };
}

/** A recorded frame, if the value is one. */
function frameOf(f: unknown, intern: (s: string) => string): RecordedFrame | undefined {
  if (!isObject(f) || typeof f.pc !== 'string') return undefined;
  const text = (v: unknown) => (typeof v === 'string' ? intern(v) : null);
  return {
    function: text(f.function),
    file: text(f.file),
    line: typeof f.line === 'number' ? f.line : null,
    pc: intern(f.pc),
    inlined: f.inlined === true,
  };
}

/**
 * A line of a run's hits file as a hit, null when it is not one (the file
 * comes from someone else), undefined when it is blank.
 */
function hitOf(line: string, intern: (s: string) => string = (s) => s): Hit | null | undefined {
  if (!line.trim()) return undefined;
  let h: unknown;
  try {
    h = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isObject(h) || typeof h.breakpoint !== 'string' || !Array.isArray(h.frames)) return null;
  const frames: RecordedFrame[] = [];
  for (const f of h.frames) {
    const frame = frameOf(f, intern);
    if (!frame) return null;
    frames.push(frame);
  }
  return {
    seq: typeof h.seq === 'number' ? h.seq : null,
    breakpoint: intern(h.breakpoint),
    function: typeof h.function === 'string' ? intern(h.function) : null,
    frames,
  };
}

/** The hits of a run's hits file; a line that is not a hit is counted, not read. */
export function parseHits(text: string): { hits: Hit[]; unreadable: number } {
  const hits: Hit[] = [];
  let unreadable = 0;
  for (const line of text.split('\n')) {
    const hit = hitOf(line);
    if (hit === null) unreadable++;
    else if (hit) hits.push(hit);
  }
  return { hits, unreadable };
}

/** A run's hits, read line by line within EVIDENCE_LIMITS; a file that cannot be read is RUN_DAMAGED. */
async function readHits(dir: string): Promise<{ hits: Hit[]; unreadable: number }> {
  const file = await present(dir, 'hits');
  if (!file) return { hits: [], unreadable: 0 };
  const hits: Hit[] = [];
  let unreadable = 0;
  const intern = interner();
  const read = { code: 'RUN_DAMAGED', maxBytes: EVIDENCE_LIMITS.hitsBytes } as const;
  await forEachLine(file, read, EVIDENCE_LIMITS.hitLine, (line) => {
    const hit = hitOf(line, intern);
    if (hit === null) unreadable++;
    else if (hit) hits.push(hit);
    if (hits.length + unreadable > EVIDENCE_LIMITS.hits)
      throw new LabError('RUN_TOO_BIG', `${file} holds more than ${EVIDENCE_LIMITS.hits} hits (the most judged)`);
  });
  return { hits, unreadable };
}

function numberAt(v: unknown, key: string): number | undefined {
  const n = isObject(v) && isObject(v.evidence) ? v.evidence[key] : undefined;
  return typeof n === 'number' ? n : undefined;
}

/** What a run directory shows, read defensively: a missing or malformed record leaves that part empty. */
export async function readRunEvidence(runDir: string): Promise<RunEvidence> {
  const manifest = await readJson(runDir, 'manifest');
  const m = isObject(manifest) ? manifest : {};
  const request = isObject(m.request) ? m.request : {};
  const scenario =
    isObject(request.scenario) && typeof request.scenario.name === 'string' ? request.scenario.name : undefined;
  const { hits, unreadable } = await readHits(runDir);
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
      proactiveness: numberAt(v, 'proactiveness'),
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
