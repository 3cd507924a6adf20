import type { Hit } from '../../src/gdb/hits.js';

/** A frame with only a function name, as a test needs it. */
export const frame = (fn: string, inlined = false) => ({ function: fn, file: null, line: null, pc: '0x0', inlined });

/** A hit of `breakpoint` whose frames are fns, innermost first (each [function, inlined?]). */
export const hit = (breakpoint: string, fns: Array<[string, boolean?]>, elapsed = 1, cpu = 0): Hit => ({
  seq: 1,
  time: '',
  elapsed,
  breakpoint,
  function: fns[0]![0],
  file: null,
  line: null,
  cpu,
  comm: 'sh',
  pid: 1,
  frames: fns.map(([f, i]) => frame(f, i)),
  trimmed: false,
});
