import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LabError, withCleanup } from '../errors.js';
import type { Progress } from '../progress/progress.js';
import type { Guest } from '../guest/guest.js';
import type { VmState } from '../vm/state.js';
import { parseBreakpointSpec } from '../gdb/breakpoint-spec.js';
import { gdbVersion, unknownBreakpointError, type DebugRequest, type DebugResult } from '../gdb/debug.js';
import { formatBacktraces } from '../gdb/hits.js';
import { resolveSites } from '../gdb/sites.js';
import { sleep } from '../util/sleep.js';
import { armEngine, probeCounts, readEngine, removeEngine } from './guest-session.js';
import {
  DEFAULT_BUFFER_KB,
  fetchArgOf,
  instanceSetup,
  probeDefinitions,
  probeEventName,
  type ProbeSite,
} from './kprobe-plan.js';
import { addressesToSymbolize, buildHits } from './stack-hits.js';
import { symbolize, SymbolTable } from './symbolize.js';

export interface GuestEngineRequest extends DebugRequest {
  /** Ring buffer per CPU, KiB. */
  bufferKb?: number;
}

/** What the kernel counted against what lab read: dropped hits are reported, never silent. */
export interface EngineStats {
  probes: Array<{
    event: string;
    breakpoint: string;
    site: number;
    address: string;
    hits: number;
    misses: number;
    recorded: number;
  }>;
  /** Hits the probes fired for, all probes. */
  fired: number;
  /** Probe events read from the buffer. */
  recorded: number;
  /** fired - recorded + misses: lost to a full buffer or to kprobe reentrancy. */
  dropped: number;
  buffers: Array<Record<string, number>>;
  traceBytes: number;
  /** gzip'd, as it crossed from the guest. */
  transferredBytes: number;
  /** Wall seconds: armed to stopped, reading the buffer, symbolising. */
  recordingSeconds: number;
  readSeconds: number;
  symbolizeSeconds: number;
  uniqueAddresses: number;
}

export type GuestEngineResult = DebugResult & { engine: EngineStats };

/** The request checked before anything is resolved or armed (pure). */
export function checkGuestEngineRequest(
  request: Pick<GuestEngineRequest, 'via' | 'args' | 'snapshots' | 'breakpoints' | 'captures' | 'bufferKb'>,
): void {
  if (request.via === 'kgdb')
    throw new LabError('BAD_OPTION', '--engine guest records inside the kernel, not through KGDB', {
      hint: 'drop --via kgdb, or use --engine gdb',
    });
  if (request.args)
    throw new LabError('BAD_OPTION', '--args needs gdb reading DWARF at every stop', {
      hint: 'use --engine gdb, or capture registers with --capture %di',
    });
  if (request.snapshots?.length)
    throw new LabError('BAD_OPTION', '--snapshot needs gdb reading the allocator at a stop', {
      hint: 'use --engine gdb',
    });
  for (const b of request.breakpoints.map(parseBreakpointSpec)) {
    if (b.condition)
      throw new LabError('BAD_OPTION', `--break "${b.spec}": --engine guest records every hit, without conditions`, {
        hint: 'drop "if ...", or use --engine gdb',
      });
  }
  (request.captures ?? []).forEach(fetchArgOf);
  if (request.bufferKb !== undefined) instanceSetup(request.bufferKb);
}

type Ending = 'count-reached' | 'timeout' | 'interrupted' | 'trigger-ended';

/** Until the count (polling the probes' hit counts), the trigger's end, the timeout or Ctrl-C. */
async function waitForEnd(
  guest: Guest,
  request: GuestEngineRequest,
  triggerDone: () => boolean,
  signal?: AbortSignal,
): Promise<Ending> {
  const deadline = Date.now() + request.timeoutSeconds * 1000;
  for (;;) {
    if (signal?.aborted) return 'interrupted';
    if (request.trigger && triggerDone()) return 'trigger-ended';
    if (request.count) {
      const fired = [...(await probeCounts(guest)).values()].reduce((n, p) => n + p.hits, 0);
      if (fired >= request.count) return 'count-reached';
    }
    if (Date.now() >= deadline) return 'timeout';
    try {
      await sleep(Math.min(500, Math.max(0, deadline - Date.now())), signal);
    } catch {
      return 'interrupted';
    }
  }
}

/**
 * lab debug --engine guest: gdb resolves every site on the host, the guest
 * records every hit with its stack (kprobe events), the host symbolises the
 * stacks with vmlinux's DWARF. The probes and lab's tracing instance are
 * removed on every way out, Ctrl-C included.
 */
export async function recordInGuest(
  vm: VmState,
  guest: Guest,
  request: GuestEngineRequest,
  runDir: string,
  options: { progress: Progress; signal?: AbortSignal },
): Promise<GuestEngineResult> {
  const started = Date.now();
  checkGuestEngineRequest(request);
  const requests = request.breakpoints.map(parseBreakpointSpec);
  const files = {
    hits: path.join(runDir, 'hits.jsonl'),
    backtraces: path.join(runDir, 'backtraces.txt'),
    gdbLog: path.join(runDir, 'gdb.log'),
    snapshots: path.join(runDir, 'snapshots.jsonl'),
  };
  const stage = options.progress.stage('debug');
  const [version, answers] = await Promise.all([
    gdbVersion(),
    resolveSites(vm.kernel.vmlinux, requests, path.join(runDir, 'sites.json'), files.gdbLog),
  ]);
  const unknown = answers.flatMap((a) => ('error' in a ? [{ spec: a.spec, error: a.error }] : []));
  if (unknown.length) throw await unknownBreakpointError(vm, unknown, requests);

  const sites = new Map<string, ProbeSite>();
  answers.forEach((a, b) => {
    if ('error' in a) return;
    a.sites.forEach((s, i) => {
      const event = probeEventName(b, i + 1);
      const request = requests[b]!;
      sites.set(event, {
        breakpoint: a.spec,
        site: i + 1,
        sites: a.sites.length,
        address: s.address,
        probe: s.probe,
        event,
        ...(request.kind === 'function' ? { functionName: request.location } : {}),
      });
    });
  });
  const definitions = probeDefinitions([...sites.values()], request.captures ?? []);
  const setup = instanceSetup(request.bufferKb ?? DEFAULT_BUFFER_KB);
  for (const a of answers)
    if ('sites' in a)
      options.progress.notice(
        `breakpoint ${a.spec}: ${a.sites.length} site${a.sites.length === 1 ? '' : 's'} (kprobes)`,
      );

  await armEngine(guest, definitions, setup);
  options.progress.notice(`recording in the guest: ${sites.size} kprobe${sites.size === 1 ? '' : 's'} armed`);
  const armedWallMs = Date.now();
  // the probes and the instance go whatever happens: end, error or Ctrl-C
  const { ending, reading, trigger } = await withCleanup(
    async () => {
      stage.update({ done: 0, unit: 'hits' });
      let triggerFinished = false;
      const triggerRun = request.trigger
        ? guest.exec(request.trigger, { timeoutMs: (request.timeoutSeconds + 60) * 1000, signal: options.signal }).then(
            (r) => ({ argv: request.trigger!, exitCode: r.exitCode }),
            (err: Error) => ({ argv: request.trigger!, error: err.message }),
          )
        : undefined;
      void triggerRun?.finally(() => (triggerFinished = true));
      const ending = await waitForEnd(guest, request, () => triggerFinished, options.signal);
      const stopped = Date.now();
      const read = await readEngine(guest, new Set(sites.keys()), vm.cpus);
      // unref'd: a trigger that hangs must not keep lab from exiting
      const late = new Promise<DebugResult['trigger']>((r) =>
        setTimeout(() => r({ argv: request.trigger!, error: 'still running when recording ended' }), 30_000).unref(),
      );
      const trigger = triggerRun ? await Promise.race([triggerRun, late]) : undefined;
      return {
        ending,
        trigger,
        reading: {
          ...read,
          recordingSeconds: (stopped - armedWallMs) / 1000,
          readSeconds: (Date.now() - stopped) / 1000,
        },
      };
    },
    () => removeEngine(guest),
    'removing the probes',
  );

  const symStart = Date.now();
  const [symbols, chains] = await Promise.all([
    SymbolTable.load(vm.kernel.vmlinux),
    symbolize(vm.kernel.vmlinux, addressesToSymbolize(reading.trace.hits, sites)),
  ]);
  const hits = buildHits(reading.trace.hits, {
    sites,
    captures: request.captures ?? [],
    chains,
    symbols,
    armedAt: reading.trace.armedAt,
    armedWallMs,
    count: request.count,
    maxPerBreak: request.maxPerBreak ?? 0,
  });
  const symbolizeSeconds = (Date.now() - symStart) / 1000;
  await writeFile(files.hits, hits.map((h) => JSON.stringify(h)).join('\n') + (hits.length ? '\n' : ''));
  await writeFile(files.backtraces, formatBacktraces(hits));

  const recordedPer = new Map<string, number>();
  for (const h of reading.trace.hits) recordedPer.set(h.event, (recordedPer.get(h.event) ?? 0) + 1);
  const probes = [...sites.values()].map((s) => ({
    event: s.event,
    breakpoint: s.breakpoint,
    site: s.site,
    address: `0x${s.address.toString(16)}`,
    hits: reading.probes.get(s.event)?.hits ?? 0,
    misses: reading.probes.get(s.event)?.misses ?? 0,
    recorded: recordedPer.get(s.event) ?? 0,
  }));
  const fired = probes.reduce((n, p) => n + p.hits, 0);
  const recorded = reading.trace.hits.length;
  const dropped = Math.max(0, fired - recorded) + probes.reduce((n, p) => n + p.misses, 0) + reading.trace.withoutStack;
  const engine: EngineStats = {
    probes,
    fired,
    recorded,
    dropped,
    buffers: reading.buffers,
    traceBytes: reading.traceBytes,
    transferredBytes: reading.transferredBytes,
    recordingSeconds: reading.recordingSeconds,
    readSeconds: reading.readSeconds,
    symbolizeSeconds,
    uniqueAddresses: chains.size,
  };
  await writeFile(path.join(runDir, 'engine.json'), JSON.stringify(engine, null, 2));
  await writeFile(path.join(runDir, 'engine-trace.txt.gz'), reading.gzipped);
  if (dropped)
    options.progress.notice(
      `${dropped} of ${fired} hits were dropped (the ring buffer filled): ` +
        `raise --buffer-kb (now ${request.bufferKb ?? DEFAULT_BUFFER_KB} per CPU)`,
    );
  stage.done(`${hits.length} hits of ${fired} fired (${ending}${dropped ? `, ${dropped} dropped` : ''})`);
  const breakpoints = answers.map((a) => ({ spec: a.spec, sites: 'sites' in a ? a.sites.length : null }));
  return {
    hits,
    outcome: ending,
    breakpoints,
    trigger,
    files,
    gdbVersion: version,
    seconds: (Date.now() - started) / 1000,
    engine,
  };
}
