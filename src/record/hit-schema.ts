import * as z from 'zod';
import { LabError, type ErrorCode } from '../errors.js';
import { describeIssue } from '../util/checked-json.js';

/**
 * One breakpoint hit, as both engines write it: gdb-scripts/lab_recorder.py
 * (gdb) and engine/stack-hits.ts (kprobes). A test runs the Python recorder
 * and checks its hits against this schema. A checked hit is the line as
 * written, unknown keys and all, so a newer recorder's field reaches the report.
 */
export const frameSchema = z.object({
  function: z.string().nullable(),
  file: z.string().nullable(),
  line: z.number().nullable(),
  pc: z.string(),
  inlined: z.boolean(),
  /** With --args: each argument's value, "<optimized out>" where DWARF has none. */
  args: z.record(z.string(), z.unknown()).optional(),
});

/** A --capture's value in the hit's frame 0, or why it could not be read. */
export const captureSchema = z.union([
  z.object({ value: z.union([z.number(), z.string()]) }),
  z.object({ error: z.string() }),
]);

export const hitSchema = z.object({
  seq: z.number(),
  time: z.string(),
  elapsed: z.number(),
  breakpoint: z.string(),
  function: z.string().nullable(),
  file: z.string().nullable(),
  line: z.number().nullable(),
  /** The vCPU that stopped (QEMU's CPU index). */
  cpu: z.number().nullable(),
  comm: z.string().nullable(),
  pid: z.number().nullable(),
  /** Which of the breakpoint's sites (inlined copies each are one) stopped, 1-based, of how many. */
  site: z.number().nullable().optional(),
  sites: z.number().optional(),
  captures: z.record(z.string(), captureSchema).optional(),
  frames: z.array(frameSchema),
  /** A frame that could not be read ended the walk: why. */
  frames_error: z.string().optional(),
  trimmed: z.boolean(),
});

export type Frame = z.infer<typeof frameSchema>;
export type Capture = z.infer<typeof captureSchema>;
export type Hit = z.infer<typeof hitSchema>;

/** Why a line is not a hit, in words that never quote the line. */
export function hitProblem(value: unknown): string | undefined {
  const r = hitSchema.safeParse(value);
  if (r.success) return undefined;
  const issue = r.error.issues[0]!;
  return `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${describeIssue(issue)}`;
}

/**
 * The hits of a hits.jsonl. A last line cut short (gdb killed while writing
 * it) is dropped: the hits before it stand. A damaged line anywhere else, or
 * a line that is JSON but no hit, is a damaged recording, reported by file
 * and line and never by what the line says.
 */
export function parseHits(jsonl: string, file = 'hits.jsonl', code: ErrorCode = 'HITS_CORRUPT'): Hit[] {
  const lines = jsonl.split('\n');
  const hits: Hit[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      const isLast = lines.slice(i + 1).every((l) => !l.trim());
      if (isLast && !jsonl.endsWith('\n')) return;
      throw new LabError(code, `${file} line ${i + 1} is not a hit record (not JSON)`);
    }
    const problem = hitProblem(value);
    if (problem) throw new LabError(code, `${file} line ${i + 1} is not a hit record (${problem})`);
    hits.push(value as Hit);
  });
  return hits;
}
