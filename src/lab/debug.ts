import path from 'node:path';
import { LabError } from '../errors.js';
import { recordWithGdb, TRIGGERS, type DebugResult, type Trigger } from '../gdb/debug.js';
import { openRun } from '../record/manifest.js';
import type { VmState } from '../vm/state.js';
import { readBuildRecordIfAny, type BuildRecord } from './build-record.js';
import type { LabContext } from './context.js';

export interface DebugFlags {
  break?: string[];
  count: number;
  timeout: number;
  trigger?: Trigger;
}

export interface DebugRun {
  result: DebugResult;
  runDir: string;
}

/** The request checked (pure): one line for a missing or malformed option. */
export function validateDebugFlags(flags: DebugFlags): string[] {
  const breakpoints = flags.break ?? [];
  if (breakpoints.length === 0) throw new LabError('NO_BREAKPOINTS', 'no --break given');
  if (!Number.isInteger(flags.count) || flags.count < 0) throw new LabError('BAD_COUNT', `--count ${flags.count} is not a hit count`);
  if (!(flags.timeout > 0)) throw new LabError('BAD_TIMEOUT', `--timeout ${flags.timeout} is not a number of seconds`);
  if (flags.trigger !== undefined && !(flags.trigger in TRIGGERS)) throw new LabError('BAD_OPTION', `--trigger ${flags.trigger} is not one of ${Object.keys(TRIGGERS).join(', ')}`);
  return breakpoints;
}

/** Where the build's kernel source was extracted: gdb's file names are shown relative to it. */
export function sourceTreeOf(ctx: LabContext, build: BuildRecord | undefined): string | undefined {
  return build?.kernel.sourceId ? path.join(ctx.store.root, 'sources', build.kernel.sourceId) : undefined;
}

/** lab debug: gdb attached, hits recorded into a new run directory, gdb detached. */
export async function recordDebug(ctx: LabContext, vm: VmState, flags: DebugFlags): Promise<DebugRun> {
  const breakpoints = validateDebugFlags(flags);
  const build = await readBuildRecordIfAny(ctx.paths);
  const run = await openRun(ctx, 'debug', 'debug', vm, build, { breakpoints, count: flags.count, timeout: flags.timeout, trigger: flags.trigger });
  try {
    const result = await recordWithGdb(
      vm,
      { breakpoints, count: flags.count, timeoutSeconds: flags.timeout, trigger: flags.trigger, sourceTree: sourceTreeOf(ctx, build) },
      run.dir,
      { progress: ctx.progress, signal: ctx.signal },
    );
    await run.finish({ gdb: result.gdbVersion, outcome: result.outcome, hits: result.hits.length, trigger: result.trigger, seconds: result.seconds });
    return { result, runDir: run.dir };
  } catch (err) {
    await run.fail(err);
    throw err;
  }
}
