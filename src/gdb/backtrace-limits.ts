import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config/paths.js';

/**
 * Where a recorded backtrace ends, as the gdb recorder trims it
 * (gdb-scripts/lab_gdb/backtrace.json, which both engines read): after a
 * frame where the kernel was entered, or after MAX_FRAMES frames.
 */
const limits = JSON.parse(
  readFileSync(path.join(projectRoot(), 'gdb-scripts', 'lab_gdb', 'backtrace.json'), 'utf8'),
) as { entry_points: string[]; max_frames: number };

export const ENTRY_POINTS: ReadonlySet<string> = new Set(limits.entry_points);
export const MAX_FRAMES: number = limits.max_frames;
