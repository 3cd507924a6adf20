/** A course followed alone: the pure parts of lab exercise and its rendering. */
import { describe, expect, it } from 'vitest';
import { printable } from '../../src/cli/render-exercises.js';
import { ExerciseSchema } from '../../src/config/lab-file.js';
import { exerciseCommand, exerciseNotes, stateOf } from '../../src/lab/exercises.js';
import { DEMO_BREAKPOINTS } from '../../src/lab/demo-breakpoints.js';

const debugExercise = (debug: object) => ExerciseSchema.parse({ name: 'x', debug, expect: { hits: [] } });

describe('lab exercise', () => {
  it('quotes the debug command for a shell: a condition, a capture with ->, the trigger and count', () => {
    const ex = debugExercise({
      break: ['compact_zone if cc->order > 0', 'isolate_freepages_block'],
      capture: ['cc->zone->name'],
      trigger: 'compact',
    });
    expect(exerciseCommand(ex)).toBe(
      "lab debug --break 'compact_zone if cc->order > 0' --break isolate_freepages_block " +
        "--capture 'cc->zone->name' --trigger compact --count 20",
    );
    const scenario = ExerciseSchema.parse({ name: 'm', scenario: 'manual', expect: { verdicts: 'ok' } });
    expect(exerciseCommand(scenario)).toBe('lab run manual');
  });

  it("notes lab demo only for the demo's own breakpoints, in any order, with nothing captured", () => {
    const demo = (debug: object) => exerciseNotes(debugExercise(debug)).some((n) => n.startsWith('lab demo'));
    expect(demo({ break: [...DEMO_BREAKPOINTS].reverse(), trigger: 'compact' })).toBe(true);
    expect(demo({ break: ['compact_zone'] })).toBe(false);
    expect(demo({ break: DEMO_BREAKPOINTS, capture: ['cc->order'] })).toBe(false);
  });

  it("states a judge's result: done, not done (a run missed), no run yet (none tried)", () => {
    expect(stateOf({ exercise: 'a', pass: true, run: 'r1', evidence: 'hits: x 1' })).toEqual({
      state: 'done',
      run: 'r1',
      evidence: 'hits: x 1',
    });
    expect(stateOf({ exercise: 'a', pass: false, run: 'r2', evidence: 'no hit in x' }).state).toBe('not done');
    expect(stateOf({ exercise: 'a', pass: false, evidence: 'no run of the s scenario' })).toEqual({
      state: 'no run yet',
      evidence: 'no run of the s scenario',
    });
  });
});

describe('course texts on a terminal', () => {
  it('escapes terminal controls but newline, tab and a line-ending carriage return', () => {
    expect(printable('a\tb\nc\r\nd')).toBe('a\tb\nc\r\nd');
    expect(printable('\u001b[31mred\u0007\r\u0000\u009b\u007f')).toBe('\\x1b[31mred\\x07\\x0d\\x00\\x9b\\x7f');
    expect(printable('abc\u202edcba\u2066\u200f é ü 日本')).toBe('abc\\u202edcba\\u2066\\u200f é ü 日本');
  });
});
