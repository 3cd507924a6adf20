import { existsSync } from 'node:fs';
import path from 'node:path';
import { compareGroups, type Comparison } from '../compare/compare.js';
import { readRunFigures } from '../compare/read.js';
import { LabError } from '../errors.js';
import type { LabContext } from './context.js';

/** A run by id (in this lab's runs/) or by path. */
function runDirOf(ctx: LabContext, ref: string): string {
  const candidates = [path.resolve(ref), path.join(ctx.paths.runs, ref)];
  const dir = candidates.find((d) => existsSync(path.join(d, 'manifest.json')));
  if (!dir) throw new LabError('RUN_UNKNOWN', `no run ${ref} (looked in ${ctx.paths.runs} and at ${path.resolve(ref)})`);
  return dir;
}

/** lab compare A B: each side a run, or a group of repeats given as ID,ID,... */
export async function compareRuns(ctx: LabContext, a: string, b: string): Promise<Comparison> {
  const group = (spec: string) => Promise.all(spec.split(',').filter(Boolean).map((ref) => readRunFigures(runDirOf(ctx, ref))));
  return compareGroups(await group(a), await group(b));
}
