import { LabError } from '../errors.js';
import { chooseProfile, type Exercise } from '../config/lab-file.js';
import { parseBreakpointSpec } from '../gdb/breakpoint-spec.js';
import type { SnapshotKind } from '../gdb/gdb-command.js';
import { recordWithGdb, TRIGGERS, type DebugResult, type Trigger } from '../gdb/debug.js';
import { readSnapshots } from '../record/read-run.js';
import { recordRun } from './record-run.js';
import { recordInGuest, checkGuestEngineRequest, type EngineStats } from '../engine/guest-engine.js';
import { guestOf } from '../guest/guest.js';
import type { VmState } from '../vm/state.js';
import { readBuildRecordIfAny, sourceTreeOf } from './build-record.js';
import type { LabContext } from './context.js';

export interface DebugFlags {
  break?: string[];
  count: number;
  timeout: number;
  /** A named trigger (compact)... */
  trigger?: Trigger;
  /** ...or any guest command, as words (lab debug ... -- CMD ARG...). */
  triggerCommand?: string[];
  capture?: string[];
  args?: boolean;
  maxPerBreak?: number;
  snapshot?: SnapshotKind[];
  snapshotEvery?: boolean;
  via?: 'gdbstub' | 'kgdb';
  /** gdb (the gdbstub, default) or guest (kprobe events in the kernel). */
  engine?: 'gdb' | 'guest';
  bufferKb?: number;
  /** A debug exercise of lab.json: its breakpoints, captures, trigger and count. */
  exercise?: string;
  lab?: string;
}

export interface DebugRun {
  result: DebugResult;
  runDir: string;
  /** report.html, unless --no-report */
  report?: string;
}

/** The request checked (pure): one line for a missing or malformed option, before anything is attached. */
export function validateDebugFlags(flags: DebugFlags): string[] {
  const breakpoints = flags.break ?? [];
  if (breakpoints.length === 0) throw new LabError('NO_BREAKPOINTS', 'no --break given');
  breakpoints.forEach(parseBreakpointSpec);
  if (flags.trigger && flags.triggerCommand?.length)
    throw new LabError('BAD_OPTION', 'both --trigger and a command after -- were given', { hint: 'give one trigger' });
  if (flags.maxPerBreak !== undefined && (!Number.isInteger(flags.maxPerBreak) || flags.maxPerBreak < 1)) {
    throw new LabError('BAD_COUNT', `--max-per-break ${flags.maxPerBreak} is not a hit count`, {
      hint: 'give 1 or more',
    });
  }
  for (const c of flags.capture ?? [])
    if (!c.trim())
      throw new LabError('BAD_OPTION', 'an empty --capture', { hint: 'give an expression, e.g. cc->order' });
  if (flags.engine === 'guest')
    checkGuestEngineRequest({
      breakpoints,
      captures: flags.capture,
      args: flags.args,
      snapshots: flags.snapshot,
      via: flags.via,
      bufferKb: flags.bufferKb,
    });
  else if (flags.bufferKb !== undefined)
    throw new LabError('BAD_OPTION', '--buffer-kb is for --engine guest', { hint: 'add --engine guest, or drop it' });
  if (!Number.isInteger(flags.count) || flags.count < 0)
    throw new LabError('BAD_COUNT', `--count ${flags.count} is not a hit count`);
  if (!(flags.timeout > 0)) throw new LabError('BAD_TIMEOUT', `--timeout ${flags.timeout} is not a number of seconds`);
  if (flags.trigger !== undefined && !(flags.trigger in TRIGGERS))
    throw new LabError('BAD_OPTION', `--trigger ${flags.trigger} is not one of ${Object.keys(TRIGGERS).join(', ')}`);
  return breakpoints;
}

/** The guest command the flags ask to run once armed, if any (pure). */
export function triggerArgv(flags: Pick<DebugFlags, 'trigger' | 'triggerCommand'>): string[] | undefined {
  if (flags.triggerCommand?.length) return flags.triggerCommand;
  return flags.trigger ? [...TRIGGERS[flags.trigger]] : undefined;
}

/** The flags with a lab.json debug exercise's request in place of --break, --capture, --trigger and --count (pure). */
export function withExercise(flags: DebugFlags, exercises: Exercise[], labFile: string): DebugFlags {
  const ex = exercises.find((e) => e.name === flags.exercise);
  const debugNames = exercises.filter((e) => e.debug).map((e) => e.name);
  if (!ex?.debug) {
    const hint = ex?.scenario
      ? `it is a scenario: lab run ${ex.scenario}`
      : `choose one of ${debugNames.join(', ') || '(none)'}`;
    throw new LabError('EXERCISE_UNKNOWN', `${labFile} has no debug exercise "${flags.exercise}"`, { hint });
  }
  return {
    ...flags,
    break: ex.debug.break,
    capture: ex.debug.capture,
    trigger: ex.debug.trigger as Trigger | undefined,
    triggerCommand: undefined,
    count: ex.debug.count,
  };
}

/** lab debug: gdb attached, hits recorded into a new run directory, gdb detached. */
export async function recordDebug(ctx: LabContext, vm: VmState, requested: DebugFlags): Promise<DebugRun> {
  let flags = requested;
  if (flags.exercise !== undefined) {
    const { labFile } = chooseProfile({ lab: flags.lab });
    if (!labFile) throw new LabError('NO_LAB_FILE', `--exercise ${flags.exercise} needs a lab.json`);
    flags = withExercise(flags, labFile.data.exercises, labFile.file);
  }
  const breakpoints = validateDebugFlags(flags);
  const build = await readBuildRecordIfAny(ctx.paths);
  const trigger = triggerArgv(flags);
  const request = {
    ...(flags.exercise ? { exercise: flags.exercise } : {}),
    breakpoints,
    count: flags.count,
    timeout: flags.timeout,
    trigger,
    captures: flags.capture ?? [],
    args: flags.args ?? false,
    maxPerBreak: flags.maxPerBreak,
    snapshots: flags.snapshot ?? [],
    snapshotEvery: flags.snapshotEvery ?? false,
    via: flags.via ?? 'gdbstub',
    engine: flags.engine ?? 'gdb',
    ...(flags.bufferKb !== undefined ? { bufferKb: flags.bufferKb } : {}),
  };
  const opening = { kind: 'debug', name: 'debug', vm, build, request } as const;
  const run = await recordRun(ctx, opening, async (run) => {
    const full = { ...request, timeoutSeconds: flags.timeout, sourceTree: sourceTreeOf(ctx, build) };
    const recording = { progress: ctx.progress, signal: ctx.signal };
    const result: DebugResult & { engine?: EngineStats } =
      request.engine === 'guest'
        ? await recordInGuest(vm, guestOf(vm), full, run.dir, recording)
        : await recordWithGdb(vm, full, run.dir, recording);
    const fields = {
      gdb: result.gdbVersion,
      outcome: result.outcome,
      hits: result.hits.length,
      breakpointSites: result.breakpoints,
      trigger: result.trigger,
      seconds: result.seconds,
      ...(result.engine ? { engine: result.engine } : {}),
    };
    // --snapshot's records are gdb's, in its file; the hits are in memory
    const snapshots = await readSnapshots(run.dir);
    return { result, fields, contents: { hits: result.hits, ...(snapshots ? { snapshots } : {}) } };
  });
  return { result: run.result, runDir: run.runDir, report: run.report };
}
