import { existsSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import type { Progress } from '../progress/progress.js';
import { guestExec } from '../guest/channel.js';
import type { VmState } from '../vm/state.js';
import { execute, launch, versionLine } from '../process/runner.js';
import { parseBreakpointSpec, type BreakpointRequest } from './breakpoint-spec.js';
import {
  gdbRecorderCommand,
  kgdbResumeCommand,
  onDebugger,
  vmlinuxArch,
  type RecorderConfig,
  type SnapshotKind,
} from './gdb-command.js';
import { debuggerFor, hostArch, type Arch } from '../arch/arch.js';
import { parseHits } from '../record/hit-schema.js';
import { formatBacktraces, type Hit } from './hits.js';
import { runFile } from '../record/files.js';
import { parseRecorderEvent, RecorderLog, type RecordingOutcome } from './recorder-events.js';
import { closestNames, functionNamesFromSystemMap } from './suggest.js';
import { breakIntoKgdb, kgdbTarget } from '../guest/kgdb.js';
import { sleep } from '../util/sleep.js';

export { TRIGGERS, type Trigger } from '../config/triggers.js';

export interface DebugRequest {
  breakpoints: string[];
  count: number;
  timeoutSeconds: number;
  /** A guest command run once the breakpoints are armed. */
  trigger?: string[];
  captures?: string[];
  args?: boolean;
  maxPerBreak?: number;
  snapshots?: SnapshotKind[];
  snapshotEvery?: boolean;
  sourceTree?: string;
  /** gdbstub (QEMU's, the default) or kgdb (the kernel's own debugger on its serial port). */
  via?: 'gdbstub' | 'kgdb';
}

export interface DebugResult {
  hits: Hit[];
  outcome: RecordingOutcome;
  /** Each breakpoint and how many sites (inlined copies included) it has. */
  breakpoints: Array<{ spec: string; sites: number | null }>;
  trigger?: { argv: string[]; exitCode?: number; error?: string };
  /** snapshots.jsonl is written only with --snapshot. */
  files: { hits: string; backtraces: string; gdbLog: string; snapshots: string };
  gdbVersion: string;
  seconds: number;
}

export function gdbVersion(arch: Arch = hostArch()): Promise<string> {
  const program = debuggerFor(arch);
  return versionLine({ program, args: ['--version'], what: `${program} --version` });
}

export async function unknownBreakpointError(
  vm: VmState,
  unknown: Array<{ spec: string; error: string }>,
  requests: BreakpointRequest[],
): Promise<LabError> {
  const systemMap = path.join(path.dirname(vm.kernel.vmlinux), 'System.map');
  const names = existsSync(systemMap)
    ? functionNamesFromSystemMap(await readFile(systemMap, 'utf8'))
    : new Set<string>();
  const parts = unknown.map(({ spec, error }) => {
    const request = requests.find((r) => r.spec === spec);
    if (request?.kind === 'function' && !request.condition) {
      const near = closestNames(request.location, names);
      return `no function named "${spec}"${near.length ? ` (closest: ${near.join(', ')})` : ''}`;
    }
    if (request?.kind === 'line' && /not found/.test(error))
      return `no code at ${request.location}${request.condition ? ` ("${spec}")` : ''}`;
    return `"${spec}": ${error.replace(/\.$/, '')}`;
  });
  return new LabError('UNKNOWN_BREAKPOINT', `${parts.join('; ')} in ${vm.kernel.vmlinux}`);
}

/**
 * Attaches gdb to the VM's gdbstub with the recorder, records hits until the
 * count or the timeout, then detaches and leaves the VM running. Ctrl-C (the
 * signal) ends the session the same way: gdb detaches, then exits.
 */
export async function recordWithGdb(
  vm: VmState,
  request: DebugRequest,
  runDir: string,
  options: { progress: Progress; signal?: AbortSignal; onArmed?: () => void },
): Promise<DebugResult> {
  const started = Date.now();
  const arch = await vmlinuxArch(vm.kernel.vmlinux);
  const version = await gdbVersion(arch);
  const requests = request.breakpoints.map(parseBreakpointSpec);
  const viaKgdb = request.via === 'kgdb';
  const target = viaKgdb ? kgdbTarget(vm) : `127.0.0.1:${vm.gdbPort}`;
  const files = {
    hits: runFile(runDir, 'hits'),
    backtraces: runFile(runDir, 'backtraces'),
    gdbLog: runFile(runDir, 'gdbLog'),
    config: runFile(runDir, 'recorderConfig'),
    snapshots: runFile(runDir, 'snapshots'),
  };
  const config: RecorderConfig = {
    breakpoints: requests.map(({ spec, location, condition }) => ({ spec, location, condition })),
    target,
    count: request.count,
    max_per_break: request.maxPerBreak ?? 0,
    captures: request.captures ?? [],
    args: request.args ?? false,
    hits: files.hits,
    snapshots: request.snapshots ?? [],
    snapshot_every: request.snapshotEvery ?? false,
    snapshots_file: files.snapshots,
    stop_file: runFile(runDir, 'recorderStop'),
    source_tree: request.sourceTree,
    via: viaKgdb ? 'kgdb' : 'gdbstub',
  };
  await writeFile(files.config, JSON.stringify(config, null, 2));
  await writeFile(files.hits, '');

  const stage = options.progress.stage('debug');
  const log = new RecorderLog();
  let triggerRun: Promise<DebugResult['trigger']> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let kgdbNudge: NodeJS.Timeout | undefined;
  let sysrqSent = false;

  const stopGdb = (why: 'timeout' | 'interrupted' | 'trigger-ended') => {
    if (log.stopReason) return;
    log.stopReason = why;
    // the next hit ends the recording; between hits, gdb is interrupted. KGDB
    // hears no interrupt on its line while the kernel runs: the guest stops itself into it
    writeFileSync(config.stop_file, '');
    if (!viaKgdb) gdb.signalGroup('SIGINT');
    else {
      kgdbNudge = setTimeout(() => {
        sysrqSent = true;
        void breakIntoKgdb(vm, 0);
      }, 3000);
    }
    // gdb detaches within a second or two; never leave it behind
    killTimer = setTimeout(() => gdb.signalGroup('SIGKILL'), 15_000);
  };
  const onLine = (line: string) => {
    const event = parseRecorderEvent(line);
    if (!event) return;
    log.feed(event);
    if (event.event === 'armed') {
      // only now: a breakpoint that failed to arm makes the whole request one error line
      for (const { spec, sites } of log.sites)
        options.progress.notice(
          `breakpoint ${spec}: ${sites === null ? 'armed' : `${sites} site${sites === 1 ? '' : 's'}`}`,
        );
      options.onArmed?.();
      stage.update({ done: 0, total: request.count || undefined, unit: 'hits' });
      timer = setTimeout(() => stopGdb('timeout'), request.timeoutSeconds * 1000);
      const argv = request.trigger;
      if (argv) {
        triggerRun = guestExec(vm, argv, { timeoutMs: (request.timeoutSeconds + 60) * 1000 }).then(
          (r) => ({ argv, exitCode: r.exitCode }),
          (err: Error) => ({ argv, error: err.message }),
        );
        // --count 0 with a trigger: every hit the trigger causes, and no more
        if (!request.count) void triggerRun.then(() => stopGdb('trigger-ended'));
      }
    } else if (event.event === 'hit') {
      stage.update({ done: log.hits, total: request.count || undefined, unit: 'hits' });
    }
  };
  // gdb runs in its own process group: a terminal's Ctrl-C reaches lab
  // only, and lab asks gdb to detach instead of leaving the VM stopped
  // mid-breakpoint (the abort below is not given to the runner, which would
  // SIGTERM gdb).
  if (viaKgdb) await breakIntoKgdb(vm);
  const recorder = gdbRecorderCommand(vm.kernel.vmlinux, files.config, viaKgdb, request.sourceTree);
  const gdb = launch(onDebugger(recorder, arch), {
    logFile: files.gdbLog,
    onLine,
  });
  const onAbort = () => stopGdb('interrupted');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const ended = await gdb.result.finally(() => {
    clearTimeout(timer);
    clearTimeout(killTimer);
    clearTimeout(kgdbNudge);
    options.signal?.removeEventListener('abort', onAbort);
  });
  // Under KGDB a kernel left stopped waits for a debugger for ever: after a
  // gdb that had to be killed (it never detached), or a sysrq-g that may have
  // landed after gdb detached, attach once more and detach.
  if (viaKgdb && (ended.signal === 'SIGKILL' || (sysrqSent && log.endedAtHit))) {
    if (sysrqSent) await sleep(2000);
    // bounded: a kernel that is not stopped in KGDB never answers
    await execute(onDebugger(kgdbResumeCommand(vm.kernel.vmlinux, target), arch), { timeoutMs: 30_000 });
  }

  if (log.unknown) throw await unknownBreakpointError(vm, log.unknown, requests);
  if (log.connectError)
    throw new LabError(
      'GDB_CONNECT_FAILED',
      `gdb could not attach to ${viaKgdb ? 'KGDB on ' : ''}${target}: ${log.connectError}`,
    );
  const outcome = log.outcome({ hitsFile: files.hits, gdbLog: files.gdbLog });
  const hits = parseHits(await readFile(files.hits, 'utf8'), files.hits);
  await writeFile(files.backtraces, formatBacktraces(hits));
  const trigger = triggerRun
    ? await Promise.race([
        triggerRun,
        new Promise<DebugResult['trigger']>((r) =>
          setTimeout(() => r({ argv: request.trigger!, error: 'still running when gdb detached' }), 30_000).unref(),
        ),
      ])
    : undefined;
  stage.done(`${hits.length} hits (${outcome})`);
  return {
    hits,
    outcome,
    breakpoints: log.sites,
    trigger,
    files,
    gdbVersion: version,
    seconds: (Date.now() - started) / 1000,
  };
}
