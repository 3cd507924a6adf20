/**
 * What lab check holds of a bundle's runs, bounded: the counts of a run
 * that hits many breakpoints.
 */
import { describe, expect, it } from 'vitest';
import { judgeExercises, type RunEvidence } from '../../src/bundle/exercises.js';

describe('evidence of a run that hits many breakpoints', () => {
  const exercise = { name: 'bp', about: '', debug: { break: ['b1'] }, expect: { hits: ['b77'], frames: ['f9'] } };
  const run: RunEvidence = {
    id: 'r1',
    kind: 'debug',
    breakpoints: ['b1'],
    hits: Array.from({ length: 100_000 }, (_, i) => ({ breakpoint: `b${i % 50_000}`, frames: [`f${i % 10}`] })),
    verdicts: [],
  };

  it('counts the first 20 breakpoints and the expected ones, and sums the rest', () => {
    const [r] = judgeExercises([exercise as never], [run]);
    expect(r).toMatchObject({ pass: true, run: 'r1' });
    expect(r!.evidence).toMatch(
      /^hits: b0 2, b1 2, .*b19 2, b77 2, and 99958 more in other breakpoints; frames have f9$/,
    );
  });
});
