import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { recordWithGdb } from '../gdb/debug.js';
import { chooseFunction, functionNamesFromSystemMap } from '../gdb/suggest.js';
import { summarizeRepeats } from '../compare/compare.js';
import { readRunFigures } from '../compare/read.js';
import { guestOf } from '../guest/guest.js';
import { recordRun } from './record-run.js';
import { loadScenario } from '../scenario/schema.js';
import { performScenario, type ScenarioResult } from '../scenario/session.js';
import { requireVm } from '../vm/status.js';
import { LabError } from '../errors.js';
import { silentProgress } from '../progress/progress.js';
import { readBuildRecordIfAny } from './build-record.js';
import type { LabContext } from './context.js';
import { withSameStart, type RunStart } from './same-start.js';
import { sourceTreeOf } from './build-record.js';

export { listScenarios } from '../scenario/schema.js';

/** lab run NAME: the scenario on the running VM, recorded, with its verdicts. */
export async function runScenario(
  ctx: LabContext,
  name: string,
  start?: RunStart,
): Promise<{ name: string; runDir: string; result: ScenarioResult; report?: string }> {
  const scenario = loadScenario(name);
  const vm = await requireVm(ctx.paths);
  if (!scenario.rootfs.includes(vm.rootfs.kind as 'debian' | 'initramfs')) {
    throw new LabError(
      'SCENARIO_ROOTFS',
      `scenario ${scenario.name} runs on ${scenario.rootfs.join(' or ')}, and this VM has the ${vm.rootfs.kind} rootfs`,
      {
        hint: `lab build --rootfs ${scenario.rootfs[0]}, then lab up`,
      },
    );
  }
  const build = await readBuildRecordIfAny(ctx.paths);
  const systemMap = path.join(path.dirname(vm.kernel.vmlinux), 'System.map');
  const names = existsSync(systemMap)
    ? functionNamesFromSystemMap(await readFile(systemMap, 'utf8'))
    : new Set<string>();
  const opening = { kind: 'scenario', name: scenario.name, vm, build, request: { scenario } } as const;
  const run = await recordRun(ctx, opening, async (run) => {
    const result = await performScenario(scenario, run.dir, {
      guest: guestOf(vm),
      runId: run.id,
      // the scenario's own stage shows progress; the recorder's notices still get through
      startDebug: (request, dir, o) =>
        recordWithGdb(vm, request, dir, {
          progress: { ...silentProgress, notice: (m) => ctx.progress.notice(m) },
          ...o,
        }),
      progress: ctx.progress,
      signal: ctx.signal,
      sourceTree: sourceTreeOf(ctx, build),
      resolveFunction: (alternatives) => chooseFunction(alternatives, names),
      fromStart: start !== undefined,
    });
    const fields = {
      ...(start ? { start } : {}),
      ok: result.ok,
      seconds: result.seconds,
      verdicts: result.verdicts.map((v) => ({ path: v.path, fired: v.fired, ok: v.ok })),
    };
    return { result, fields, contents: result.contents };
  });
  return { name: scenario.name, runDir: run.runDir, result: run.result, report: run.report };
}

/** lab run NAME [--same-start]: one run, from the scenario's start moment when asked. */
export function runScenarioOnce(ctx: LabContext, name: string, sameStart = false) {
  if (!sameStart) return runScenario(ctx, name);
  return withSameStart(ctx, loadScenario(name), async (startRun) => runScenario(ctx, name, await startRun()));
}

/**
 * lab run NAME --repeat N: N runs one after another, then each figure's
 * median and range and each verdict as k of N.
 */
export async function repeatScenario(
  ctx: LabContext,
  name: string,
  times: number,
  onRun?: (runDir: string, i: number) => void,
  sameStart = false,
) {
  if (!Number.isInteger(times) || times < 1 || times > 100)
    throw new LabError('BAD_COUNT', `--repeat ${times} is not a number of runs`, { hint: 'give 1 to 100' });
  const repeat = async (startRun?: () => Promise<RunStart>) => {
    const runs: Array<{ runDir: string; ok: boolean }> = [];
    for (let i = 0; i < times; i++) {
      const r = await runScenario(ctx, name, await startRun?.());
      runs.push({ runDir: r.runDir, ok: r.result.ok });
      onRun?.(r.runDir, i);
    }
    return runs;
  };
  const runs = sameStart ? await withSameStart(ctx, loadScenario(name), repeat) : await repeat();
  const summary = summarizeRepeats(await Promise.all(runs.map((r) => readRunFigures(r.runDir))));
  return { name, ok: runs.every((r) => r.ok), ...summary, runs };
}
