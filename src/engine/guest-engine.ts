import { withCleanup } from '../errors.js';
import type { Progress } from '../progress/progress.js';
import type { Guest } from '../guest/guest.js';
import type { VmState } from '../vm/state.js';
import { parseBreakpointSpec } from '../gdb/breakpoint-spec.js';
import { gdbVersion, unknownBreakpointError, type DebugResult } from '../gdb/debug.js';
import { formatBacktraces } from '../gdb/hits.js';
import { resolveSites } from '../gdb/sites.js';
import { vmlinuxArch } from '../gdb/gdb-command.js';
import { runFile } from '../record/files.js';
import { writeHits, writeRunFile } from '../record/write.js';
import { sleep } from '../util/sleep.js';
import { checkGuestEngineRequest, type GuestEngineRequest } from './engine-request.js';
import { engineStats, type EngineStats } from './engine-stats.js';
import { armEngine, probeCounts, readEngine, removeEngine } from './guest-session.js';
import { DEFAULT_BUFFER_KB, instanceSetup, probeDefinitions, probeEventName, type ProbeSite } from './kprobe-plan.js';
import { addressesToSymbolize, buildHits } from './stack-hits.js';
import { symbolize, SymbolTable } from './symbolize.js';

export { checkGuestEngineRequest, type GuestEngineRequest } from './engine-request.js';
export type { EngineStats } from './engine-stats.js';

export type GuestEngineResult = DebugResult & { engine: EngineStats };

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
    hits: runFile(runDir, 'hits'),
    backtraces: runFile(runDir, 'backtraces'),
    gdbLog: runFile(runDir, 'gdbLog'),
    snapshots: runFile(runDir, 'snapshots'),
  };
  const stage = options.progress.stage('debug');
  const [version, answers] = await Promise.all([
    vmlinuxArch(vm.kernel.vmlinux).then(gdbVersion),
    resolveSites(vm.kernel.vmlinux, requests, runFile(runDir, 'sites'), files.gdbLog),
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
  await writeHits(runDir, hits);
  await writeRunFile(runDir, 'backtraces', formatBacktraces(hits));

  const engine = engineStats(sites, reading, { seconds: symbolizeSeconds, uniqueAddresses: chains.size });
  const { fired, dropped } = engine;
  await writeRunFile(runDir, 'engine', JSON.stringify(engine, null, 2));
  await writeRunFile(runDir, 'engineTrace', reading.gzipped);
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
