/**
 * What lab check holds of a bundle's runs, bounded: a hits file read line
 * by line, the counts of a run that hits many breakpoints, and what lab
 * pack refuses to pack because lab check would refuse it.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packProblem } from '../../src/bundle/bundle.js';
import { judgeExercises, type RunEvidence } from '../../src/bundle/exercises.js';
import { forEachLine } from '../../src/util/bounded-lines.js';
import { tempDir } from '../helpers/cli.js';

describe('evidence of a run that hits many breakpoints', () => {
  const exercise = { name: 'bp', about: '', debug: { break: ['b1'] }, expect: { hits: ['b77'], frames: ['f9'] } };
  const run: RunEvidence = {
    id: 'r1',
    kind: 'debug',
    breakpoints: ['b1'],
    hits: Array.from({ length: 100_000 }, (_, i) => ({
      seq: i,
      breakpoint: `b${i % 50_000}`,
      function: null,
      frames: [{ function: `f${i % 10}`, file: null, line: null, pc: '0x0', inlined: false }],
    })),
    unreadableHits: 0,
    verdicts: [],
    context: {},
  };

  it('counts the first 20 breakpoints and the expected ones, and sums the rest', () => {
    const [r] = judgeExercises([exercise as never], [run]);
    expect(r).toMatchObject({ pass: true, run: 'r1' });
    expect(r!.evidence).toMatch(
      /^hits: b0 2, b1 2, .*b19 2, b77 2, and 99958 more in other breakpoints; frames have f9$/,
    );
  });
});

describe('a hits file read line by line', () => {
  it('skips a line longer than the most, and refuses a file over its limit or not a file', async () => {
    const dir = tempDir('lines');
    const file = path.join(dir, 'hits.jsonl');
    writeFileSync(file, `a\n${'x'.repeat(5000)}\nb\nc`);
    const lines: string[] = [];
    const read = { code: 'RUN_DAMAGED', maxBytes: 1 << 20 } as const;
    expect(await forEachLine(file, read, 1000, (l) => lines.push(l))).toEqual({ longLines: 1 });
    expect(lines).toEqual(['a', 'b', 'c']);
    await expect(forEachLine(file, { ...read, maxBytes: 100 }, 1000, () => undefined)).rejects.toThrow(
      /is 4\.9 KiB, over the 100 bytes lab reads/,
    );
    await expect(forEachLine(dir, read, 1000, () => undefined)).rejects.toThrow(/is a directory, not a file/);
  });
});

describe('lab pack: what lab check would refuse', () => {
  it('too many files, too many bytes, too much evidence', () => {
    const sizes = (n: number, size: number) => new Map(Array.from({ length: n }, (_, i) => [`runs/r1/f${i}`, size]));
    expect(packProblem(['r1'], sizes(10, 100))).toBeUndefined();
    expect(packProblem(['r1'], sizes(5000, 1))).toBe('it would hold 5001 files (lab check takes at most 5000)');
    expect(packProblem(['r1'], sizes(3, 100 * 2 ** 20))).toBe(
      'it would unpack to 300 MiB (lab check takes at most 256 MiB)',
    );
    const hits = new Map([
      ['runs/r1/hits.jsonl', 20 * 2 ** 20],
      ['runs/r2/hits.jsonl', 5 * 2 ** 20],
      ['runs/r3/hits.jsonl', 50 * 2 ** 20],
    ]);
    expect(packProblem(['r1', 'r2'], hits)).toBe(
      "its runs' manifest.json, hits.jsonl, verdicts.json come to 25 MiB (lab check reads at most 24 MiB of them)",
    );
    expect(packProblem(['r1'], hits)).toBeUndefined();
  });
});
