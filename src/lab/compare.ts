import { compareGroups, type Comparison } from '../compare/compare.js';
import { readRunFigures } from '../compare/read.js';
import { resolveRunDir } from '../record/run-dir.js';
import type { LabContext } from './context.js';

/** lab compare A B: each side a run, or a group of repeats given as ID,ID,... */
export async function compareRuns(ctx: LabContext, a: string, b: string): Promise<Comparison> {
  const group = (spec: string) =>
    Promise.all(
      spec
        .split(',')
        .filter(Boolean)
        .map((ref) => readRunFigures(resolveRunDir(ctx.paths.runs, ref))),
    );
  return compareGroups(await group(a), await group(b));
}
