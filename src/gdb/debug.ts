import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import type { Progress } from '../progress/progress.js';
import { guestExec } from '../guest/channel.js';
import type { VmState } from '../vm/state.js';
import { launch, versionLine } from '../process/runner.js';
import { gdbRecorderCommand, parseRecorderEvent, type RecorderConfig } from './gdb-command.js';
import { formatBacktraces, parseHits, type Hit } from './hits.js';
import { closestNames, functionNamesFromSystemMap } from './suggest.js';

export const TRIGGERS = {
  compact: ['sh', '-c', 'echo 1 > /proc/sys/vm/compact_memory'],
} as const;
export type Trigger = keyof typeof TRIGGERS;

export interface DebugRequest {
  breakpoints: string[];
  count: number;
  timeoutSeconds: number;
  trigger?: Trigger;
  sourceTree?: string;
}

export interface DebugResult {
  hits: Hit[];
  outcome: 'count-reached' | 'timeout' | 'interrupted';
  trigger?: { argv: string[]; exitCode?: number; error?: string };
  files: { hits: string; backtraces: string; gdbLog: string };
  gdbVersion: string;
  seconds: number;
}

export function gdbVersion(): Promise<string> {
  return versionLine({ program: 'gdb', args: ['--version'], what: 'gdb --version' });
}

async function unknownBreakpointError(vm: VmState, specs: string[]): Promise<LabError> {
  const systemMap = path.join(path.dirname(vm.kernel.vmlinux), 'System.map');
  const names = existsSync(systemMap) ? functionNamesFromSystemMap(await readFile(systemMap, 'utf8')) : new Set<string>();
  const parts = specs.map((spec) => {
    const near = closestNames(spec, names);
    return near.length ? `"${spec}" (closest: ${near.join(', ')})` : `"${spec}"`;
  });
  return new LabError('UNKNOWN_BREAKPOINT', `no function named ${parts.join('; ')} in ${vm.kernel.vmlinux}`, {
    hint: 'nothing was attached; check the spelling or pick a closest name',
  });
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
  const version = await gdbVersion();
  const files = {
    hits: path.join(runDir, 'hits.jsonl'),
    backtraces: path.join(runDir, 'backtraces.txt'),
    gdbLog: path.join(runDir, 'gdb.log'),
    config: path.join(runDir, 'recorder.json'),
  };
  const config: RecorderConfig = {
    breakpoints: request.breakpoints,
    host: '127.0.0.1',
    port: vm.gdbPort,
    count: request.count,
    hits: files.hits,
    source_tree: request.sourceTree,
  };
  await writeFile(files.config, JSON.stringify(config, null, 2));
  await writeFile(files.hits, '');

  const stage = options.progress.stage('debug');
  let outcome: DebugResult['outcome'] = 'count-reached';
  let unknown: Array<{ spec: string }> | undefined;
  let connectError: string | undefined;
  let triggerRun: Promise<DebugResult['trigger']> | undefined;
  let hitCount = 0;
  let timer: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;

  const stopGdb = (why: 'timeout' | 'interrupted') => {
    if (outcome !== 'count-reached') return;
    outcome = why;
    gdb.signalGroup('SIGINT');
    // gdb detaches within a second or two; never leave it behind
    killTimer = setTimeout(() => gdb.signalGroup('SIGKILL'), 15_000);
  };
  const onLine = (line: string) => {
    const event = parseRecorderEvent(line);
    if (!event) return;
    switch (event.event) {
      case 'unknown':
        unknown = event.breakpoints as Array<{ spec: string }>;
        break;
      case 'connect-failed':
        connectError = String(event.error);
        break;
      case 'armed':
        options.onArmed?.();
        stage.update({ done: 0, total: request.count || undefined, unit: 'hits' });
        timer = setTimeout(() => stopGdb('timeout'), request.timeoutSeconds * 1000);
        if (request.trigger) {
          const argv = [...TRIGGERS[request.trigger]];
          triggerRun = guestExec(vm, argv, { timeoutMs: (request.timeoutSeconds + 60) * 1000 }).then(
            (r) => ({ argv, exitCode: r.exitCode }),
            (err: Error) => ({ argv, error: err.message }),
          );
        }
        break;
      case 'hit':
        hitCount = Number(event.seq);
        stage.update({ done: hitCount, total: request.count || undefined, unit: 'hits' });
        break;
    }
  };
  // gdb runs in its own process group: a terminal's Ctrl-C reaches lab
  // only, and lab asks gdb to detach instead of leaving the VM stopped
  // mid-breakpoint (the abort below is not given to the runner, which would
  // SIGTERM gdb).
  const gdb = launch(gdbRecorderCommand(vm.kernel.vmlinux, files.config), { logFile: files.gdbLog, onLine });
  const onAbort = () => stopGdb('interrupted');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const exitCode = await gdb.result
    .then((r) => r.exitCode)
    .finally(() => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
    });

  if (unknown) throw await unknownBreakpointError(vm, unknown.map((u) => u.spec));
  if (connectError) {
    throw new LabError('GDB_CONNECT_FAILED', `gdb could not attach to 127.0.0.1:${vm.gdbPort}: ${connectError}`, {
      hint: 'is the VM running? see lab status',
    });
  }
  if (exitCode !== 0 && outcome === 'count-reached') {
    throw new LabError('GDB_FAILED', `gdb exited with code ${exitCode}`, { hint: `see ${files.gdbLog}` });
  }
  const hits = parseHits(await readFile(files.hits, 'utf8'));
  await writeFile(files.backtraces, formatBacktraces(hits));
  const trigger = triggerRun
    ? await Promise.race([triggerRun, new Promise<DebugResult['trigger']>((r) => setTimeout(() => r({ argv: [...TRIGGERS[request.trigger!]], error: 'still running when gdb detached' }), 30_000).unref())])
    : undefined;
  stage.done(`${hits.length} hits (${outcome})`);
  return { hits, outcome, trigger, files, gdbVersion: version, seconds: (Date.now() - started) / 1000 };
}
