/**
 * record/ owns the run directory: no other module spells a run file's name,
 * the hit schema is the one both recorders write, and damaged run files are
 * one RUN_DAMAGED error naming the file, never quoting it.
 */
import { execa } from 'execa';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabError } from '../../src/errors.js';
import { readRunContents } from '../../src/record/read-run.js';
import { hitProblem, parseHits } from '../../src/record/hit-schema.js';
import { PROJECT } from '../helpers/cli.js';

const SRC = path.join(PROJECT, 'src');
const RUNS = path.join(PROJECT, 'test', 'data', 'runs');

/** The names a reader of a run directory reads and its writers write. */
const RUN_FILE_NAMES = [
  'manifest.json',
  'hits.jsonl',
  'backtraces.txt',
  'trace.txt',
  'trace-summary.json',
  'samples.jsonl',
  'verdicts.json',
  'steps.json',
  'before.txt',
  'after.txt',
  'hits.folded',
  'trace.folded',
  'trace.json',
  'engine.json',
  'recorder.json',
  'sites.json',
  'background.json',
];

/** A source file without its comments: a comment may say "hits.jsonl"; code says RUN_FILES.hits. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

describe('record/ owns the run directory', () => {
  it('no module outside src/record/ names a run file', () => {
    const files = readdirSync(SRC, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts'))
      .map((e) => path.join(e.parentPath, e.name))
      .filter((f) => !f.startsWith(path.join(SRC, 'record') + path.sep));
    const named = files.flatMap((f) => {
      const text = code(readFileSync(f, 'utf8'));
      return RUN_FILE_NAMES.filter((name) =>
        new RegExp(`(?<![\\w.-])${name.replace(/[.]/g, '\\.')}(?![\\w.-])`).test(text),
      ).map((name) => `${path.relative(SRC, f)} names ${name}`);
    });
    expect(named).toEqual([]);
  });
});

describe('a hit has one schema, the one both recorders write', () => {
  it('every hit the Python recorder writes in its unit tests (stub gdb) is a hit', async () => {
    const r = await execa('python3', [path.join(PROJECT, 'test', 'helpers', 'recorder-hits.py')], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.trim());
    expect(lines.length).toBeGreaterThanOrEqual(10);
    const hits = lines.map((l) => JSON.parse(l) as unknown);
    expect(hits.map(hitProblem).filter(Boolean)).toEqual([]);
    // the recorder's variants are all among them: captures, --args, an unreadable frame
    expect(hits.some((h) => 'captures' in (h as object))).toBe(true);
    expect(hits.some((h) => 'frames_error' in (h as object))).toBe(true);
    expect(hits.some((h) => (h as { frames: Array<{ args?: unknown }> }).frames.some((f) => f.args))).toBe(true);
  });

  it("every committed run's hits.jsonl is hits", () => {
    for (const run of ['debug', 'debug-snapshots', 'scenario']) {
      const file = path.join(RUNS, run, 'hits.jsonl');
      expect(parseHits(readFileSync(file, 'utf8'), file).length).toBeGreaterThan(0);
    }
  });

  it('a line that is JSON but no hit is a damaged recording, said by key and never by value', () => {
    const hit = readFileSync(path.join(RUNS, 'debug', 'hits.jsonl'), 'utf8').split('\n')[0]!;
    const withoutFrames = JSON.stringify({ ...JSON.parse(hit), frames: undefined, comm: 'secret-comm' });
    for (const [line, problem] of [
      ['null', /line 2 is not a hit record \(.*expected object/],
      [withoutFrames, /line 2 is not a hit record \(frames: .*expected array/],
    ] as const) {
      const err = (() => {
        try {
          parseHits(`${hit}\n${line}\n`, '/r/hits.jsonl', 'RUN_DAMAGED');
        } catch (e) {
          return e as LabError;
        }
      })();
      expect(err).toBeInstanceOf(LabError);
      expect(err!.code).toBe('RUN_DAMAGED');
      expect(err!.message).toMatch(problem);
      expect(err!.message).not.toMatch(/secret-comm|compact_zone/);
    }
  });

  it("reads each committed run's files whole", async () => {
    const scenario = await readRunContents(path.join(RUNS, 'scenario'));
    expect(Object.keys(scenario).sort()).toEqual(
      ['hits', 'manifest', 'pagetypeAfter', 'pagetypeBefore', 'records', 'samples', 'steps', 'verdicts'].sort(),
    );
    expect((await readRunContents(path.join(RUNS, 'debug-snapshots'))).snapshots?.length).toBeGreaterThan(0);
  });
});
