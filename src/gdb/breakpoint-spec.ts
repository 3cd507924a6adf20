import { LabError } from '../errors.js';

/** A --break as gdb gets it: where, and the condition under which it stops. */
export interface BreakpointRequest {
  /** As the user wrote it: how hits and messages name it. */
  spec: string;
  /** A function name or FILE:LINE. */
  location: string;
  condition: string | null;
  kind: 'function' | 'line';
}

const FUNCTION = /^[A-Za-z_][\w.]*$/;
const FILE_LINE = /^[\w./+-]+\.[chS]:[1-9]\d*$/;

/**
 * "FN", "FILE:LINE", either followed by "if COND" (pure). What gdb alone can
 * judge (does the function, the line, the condition's symbols exist) is
 * checked when the recorder arms, still before attaching.
 */
export function parseBreakpointSpec(text: string): BreakpointRequest {
  const spec = text.trim();
  if (/\sif\s*$/.test(spec))
    throw new LabError('BAD_OPTION', `--break "${text}" has an empty condition`, {
      hint: 'write FUNCTION if CONDITION',
    });
  const m = /^(\S+)(?:\s+if\s+(.+))?$/s.exec(spec);
  const location = m?.[1] ?? '';
  const condition = m?.[2]?.trim() ?? null;
  const kind = FUNCTION.test(location) ? 'function' : FILE_LINE.test(location) ? 'line' : undefined;
  if (!m || !kind) {
    throw new LabError('BAD_OPTION', `--break "${text}" is not a breakpoint`, {
      hint: 'give FUNCTION, FILE:LINE (mm/compaction.c:2400), either with "if CONDITION"',
    });
  }
  return { spec, location, condition, kind };
}
