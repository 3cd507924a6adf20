import { existsSync } from 'node:fs';
import path from 'node:path';
import tmp from 'tmp';
import { describeCopies, type FunctionDiff } from '../compare/call-paths.js';
import { compareGroups, type Comparison, type RunFigures } from '../compare/compare.js';
import { readKernelFunctions, readRunFigures } from '../compare/read.js';
import { LabError } from '../errors.js';
import { parseBreakpointSpec, type BreakpointRequest } from '../gdb/breakpoint-spec.js';
import { resolveSites } from '../gdb/sites.js';
import { storedKernelFile } from '../kernel/kernel.js';
import { resolveRunDir } from '../record/run-dir.js';
import type { LabContext } from './context.js';

/** The functions whose copies gdb is asked for: enough for any two kernels' compaction paths, bounded for any input. */
const MAX_FUNCTIONS = 60;

/** lab compare A B: each side a run, or a group of repeats given as ID,ID,... */
export async function compareRuns(ctx: LabContext, a: string, b: string): Promise<Comparison> {
  const group = (spec: string) =>
    Promise.all(
      spec
        .split(',')
        .filter(Boolean)
        .map((ref) => readRunFigures(resolveRunDir(ctx.paths.runs, ref))),
    );
  return compareWithKernels(ctx, await group(a), await group(b));
}

/**
 * Two groups of runs compared, with what their kernels in the store say:
 * each side's System.map tells a function inlined everywhere from one not
 * called, and each side's vmlinux (gdb on its DWARF) where the code of each
 * function that differs went: its own copy, or inlined into which callers.
 */
export async function compareWithKernels(
  ctx: Pick<LabContext, 'store' | 'progress' | 'signal'>,
  a: RunFigures[],
  b: RunFigures[],
): Promise<Comparison> {
  const functions = (runs: RunFigures[]) =>
    readKernelFunctions(runs, (key) => storedKernelFile(ctx.store, key, 'System.map'));
  const comparison = compareGroups(a, b, { a: await functions(a), b: await functions(b) });
  if (comparison.functions.length === 0) return comparison;
  const asked = comparison.functions.slice(0, MAX_FUNCTIONS).map((f) => f.function);
  const [copiesA, copiesB] = [await copiesIn(ctx, a, asked), await copiesIn(ctx, b, asked)];
  const withCopies = (f: FunctionDiff): FunctionDiff => ({
    ...f,
    ...(copiesA?.has(f.function) ? { copiesA: copiesA.get(f.function)! } : {}),
    ...(copiesB?.has(f.function) ? { copiesB: copiesB.get(f.function)! } : {}),
  });
  return { ...comparison, functions: comparison.functions.map(withCopies) };
}

/** Each function's copies in the one kernel a group ran, or undefined when its vmlinux is not here or gdb fails. */
async function copiesIn(
  ctx: Pick<LabContext, 'store' | 'progress' | 'signal'>,
  runs: RunFigures[],
  names: string[],
): Promise<Map<string, string> | undefined> {
  const keys = [...new Set(runs.map((r) => r.kernelKey))];
  if (keys.length !== 1 || keys[0] === undefined) return undefined;
  const vmlinux = storedKernelFile(ctx.store, keys[0], 'vmlinux');
  if (!existsSync(vmlinux)) return undefined;
  const requests = names.flatMap((name): BreakpointRequest[] => {
    try {
      return [parseBreakpointSpec(name)];
    } catch {
      return []; // a name from a stack that is no function name (a forged bundle's) is not asked
    }
  });
  const scratch = tmp.dirSync({ prefix: 'lab-compare-', unsafeCleanup: true });
  try {
    const dir = scratch.name;
    const answers = await resolveSites(
      vmlinux,
      requests,
      path.join(dir, 'breakpoints.json'),
      path.join(dir, 'gdb.log'),
      ctx.signal,
    );
    const copies = new Map<string, string>();
    for (const answer of answers)
      copies.set(
        answer.spec,
        'error' in answer
          ? 'not in this kernel'
          : describeCopies(
              answer.spec,
              answer.sites.map((s) => s.function),
            ),
      );
    return copies;
  } catch (err) {
    if (!(err instanceof LabError)) throw err;
    ctx.progress.notice(`lab: the copies of each function in kernel ${keys[0]} are left out: ${err.message}`);
    return undefined;
  } finally {
    scratch.removeCallback();
  }
}
