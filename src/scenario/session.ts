import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import type { Progress } from '../progress/progress.js';
import { runDebug, type DebugResult } from '../gdb/debug.js';
import { hitsPerFunction } from '../gdb/hits.js';
import { guestExec } from '../guest/channel.js';
import { guestToolDir } from '../image/guest-tools.js';
import { splitTailOutput, takeSnapshot, Sampler, type Snapshot } from '../sample/snapshot.js';
import { vmstatDelta } from '../sample/parse.js';
import { saveTrace, startTrace, type ActiveTrace, type TraceSummary } from '../trace/trace.js';
import { sleep } from '../util/sleep.js';
import type { VmState } from '../vm/state.js';
import type { Scenario } from './schema.js';
import { evaluate, type Evidence, type Verdict } from './verdict.js';
import { scenarioChart } from '../report/chart.js';

export interface ScenarioResult {
  verdicts: Verdict[];
  ok: boolean;
  evidence: Evidence;
  seconds: number;
  trace?: TraceSummary;
  debug?: Pick<DebugResult, 'outcome' | 'seconds'> & { hits: number };
  background: Array<{ argv: string[]; output: string }>;
}

/** A settings file's current value: the bracketed choice of a THP-style file, else its text. */
export function currentSetting(text: string): string {
  const chosen = /\[([^\]]+)\]/.exec(text);
  return chosen ? chosen[1]! : text.trim();
}

async function exec(vm: VmState, argv: string[], signal?: AbortSignal) {
  return guestExec(vm, argv, { signal, timeoutMs: 900_000 });
}

async function readSettings(vm: VmState, files: string[]): Promise<Record<string, string>> {
  if (!files.length) return {};
  const r = await exec(vm, ['tail', '-n', '+1', ...files, '/dev/null']);
  const texts = splitTailOutput(r.stdout.toString('utf8'));
  const out: Record<string, string> = {};
  for (const f of files) {
    if (texts[f] === undefined) throw new LabError('SETTING_MISSING', `${f} does not exist in the guest`, { hint: 'is the kernel built with it?' });
    out[f] = currentSetting(texts[f]);
  }
  return out;
}

async function writeSettings(vm: VmState, values: Record<string, string>): Promise<void> {
  const pairs = Object.entries(values);
  if (!pairs.length) return;
  const r = await exec(vm, [`${guestToolDir(vm.rootfs.kind)}/lab-write`, ...pairs.flat()]);
  if (r.exitCode !== 0) throw new LabError('SETTING_FAILED', r.stderr.toString().trim().split('\n')[0] ?? 'lab-write failed');
}

/** A lab tool named bare ("fragmenter") is the one lab installed in the guest. */
function resolveArgv(vm: VmState, argv: string[]): string[] {
  const tools = ['fragmenter', 'lab-write', 'lab-exec'];
  return tools.includes(argv[0]!) ? [`${guestToolDir(vm.rootfs.kind)}/${argv[0]}`, ...argv.slice(1)] : argv;
}

export function scoreSummary(series: Snapshot[]): Evidence['score'] {
  if (!series.length) return undefined;
  const scores = series.map((s) => s.score);
  return { first: scores[0]!, max: Math.max(...scores), last: scores.at(-1)!, samples: scores.length };
}

export async function runScenario(
  vm: VmState,
  scenario: Scenario,
  runDir: string,
  options: { progress: Progress; signal?: AbortSignal; sourceTree?: string },
): Promise<ScenarioResult> {
  const started = Date.now();
  const { progress, signal } = options;
  if (!scenario.rootfs.includes(vm.rootfs.kind as 'debian' | 'initramfs')) {
    throw new LabError('SCENARIO_ROOTFS', `scenario ${scenario.name} runs on ${scenario.rootfs.join(' or ')}, and this VM has the ${vm.rootfs.kind} rootfs`, {
      hint: `lab build --rootfs ${scenario.rootfs[0]}, then lab up`,
    });
  }
  await mkdir(runDir, { recursive: true });
  const changed = new Map<string, string>();
  const background: Array<{ pid: number; argv: string[]; out: string }> = [];
  let trace: ActiveTrace | undefined;
  const debugStop = new AbortController();
  let debugRun: Promise<DebugResult> | undefined;
  const sampler = new Sampler(vm, scenario.sample.interval * 1000);
  const stage = progress.stage(`scenario ${scenario.name}`);

  const set = async (values: Record<string, string>) => {
    const fresh = Object.keys(values).filter((f) => !changed.has(f));
    for (const [f, v] of Object.entries(await readSettings(vm, fresh))) changed.set(f, v);
    await writeSettings(vm, values);
  };

  let before: Snapshot;
  let after: Snapshot;
  let traceSummary: TraceSummary | undefined;
  let debug: DebugResult | undefined;
  const bgOutputs: Array<{ argv: string[]; output: string }> = [];
  let proactiveness: number | undefined;
  let thpDefrag: string | undefined;
  try {
    await set(scenario.settings);
    const PROACTIVENESS = '/proc/sys/vm/compaction_proactiveness';
    const DEFRAG = '/sys/kernel/mm/transparent_hugepage/defrag';
    const context = await readSettings(vm, [PROACTIVENESS, DEFRAG]);
    proactiveness = Number(context[PROACTIVENESS]);
    thpDefrag = context[DEFRAG];
    const first = await takeSnapshot(vm, 0);
    before = first.snapshot;
    await writeFile(path.join(runDir, 'before.txt'), first.raw);
    sampler.start();

    if (scenario.trace) {
      let pid: number | undefined;
      if (scenario.trace.pidOf) {
        const r = await exec(vm, ['pgrep', '-x', scenario.trace.pidOf]);
        pid = Number(r.stdout.toString().trim().split('\n')[0]);
        if (!pid) throw new LabError('NO_TASK', `no task named ${scenario.trace.pidOf} in the guest`);
      }
      trace = await startTrace(vm, { ...scenario.trace, pid });
    }
    if (scenario.breakpoints) {
      let armed: () => void = () => undefined;
      const isArmed = new Promise<void>((resolve) => (armed = resolve));
      debugRun = runDebug(
        vm,
        { breakpoints: scenario.breakpoints.functions, count: scenario.breakpoints.count, timeoutSeconds: 3600, sourceTree: options.sourceTree },
        runDir,
        { progress: { notice: progress.notice, stage: () => ({ update() {}, done() {} }) }, signal: AbortSignal.any([debugStop.signal, ...(signal ? [signal] : [])]), onArmed: armed },
      );
      await Promise.race([isArmed, debugRun.then(() => undefined)]);
    }

    let n = 0;
    for (const step of scenario.steps) {
      if (signal?.aborted) throw new LabError('INTERRUPTED', 'scenario interrupted', { exitCode: 130 });
      n++;
      stage.update({ done: n, total: scenario.steps.length });
      if ('sleep' in step) await sleep(step.sleep * 1000, signal);
      else if ('set' in step) await set(step.set);
      else if (step.background) {
        const out = `/tmp/lab-bg-${background.length}.out`;
        const argv = resolveArgv(vm, step.run);
        const r = await exec(vm, ['sh', '-c', 'out=$1; shift; "$@" </dev/null >"$out" 2>&1 & echo $!', 'sh', out, ...argv], signal);
        background.push({ pid: Number(r.stdout.toString().trim()), argv, out });
      } else {
        const argv = resolveArgv(vm, step.run);
        const r = await exec(vm, argv, signal);
        await writeFile(path.join(runDir, `step-${n}.out`), Buffer.concat([r.stdout, r.stderr]));
        if (r.exitCode !== 0) {
          throw new LabError('STEP_FAILED', `step ${n} (${step.run.join(' ')}) exited ${r.exitCode}: ${r.stderr.toString().trim().split('\n').at(-1) ?? ''}`);
        }
      }
    }
    if (debugRun) {
      debugStop.abort();
      debug = await debugRun;
    }
    if (trace) traceSummary = await saveTrace(runDir, await trace.stop());
    await sampler.stop();
    const last = await takeSnapshot(vm, (Date.now() - started) / 1000);
    after = last.snapshot;
    await writeFile(path.join(runDir, 'after.txt'), last.raw);
  } finally {
    debugStop.abort();
    await debugRun?.catch(() => undefined);
    await sampler.stop();
    for (const bg of background) {
      await exec(vm, ['kill', String(bg.pid)]).catch(() => undefined);
      const r = await exec(vm, ['cat', bg.out]).catch(() => undefined);
      bgOutputs.push({ argv: bg.argv, output: r?.stdout.toString() ?? '' });
    }
    await trace?.restore().catch(() => undefined);
    // restore in reverse: a value set twice goes back to the first one seen
    const restore = Object.fromEntries([...changed.entries()].reverse());
    await writeSettings(vm, restore);
  }

  const evidence: Evidence = {
    counters: vmstatDelta(before.vmstat, after.vmstat, () => true),
    events: traceSummary?.events ?? {},
    hits: Object.fromEntries(hitsPerFunction(debug?.hits ?? []).map((r) => [r.function, r.hits])),
    calls: Object.fromEntries((traceSummary?.functions ?? []).map((f) => [f.fn, f.calls])),
    score: scoreSummary([before, ...sampler.series, after]),
    tracedCalls: scenario.trace?.pidOf ? (traceSummary?.functions ?? []).reduce((s, f) => s + f.calls, 0) : undefined,
    proactiveness,
    thpDefrag,
  };
  const verdicts = scenario.expect.map((e) => evaluate(e, evidence));
  const series = [before, ...sampler.series, after];
  await writeFile(path.join(runDir, 'samples.jsonl'), series.map((s) => JSON.stringify({ t: s.t, score: s.score, vmstat: s.vmstat, buddyinfo: s.buddyinfo })).join('\n') + '\n');
  await writeFile(path.join(runDir, 'report.svg'), scenarioChart(`lab run ${scenario.name}`, series));
  await writeFile(path.join(runDir, 'verdicts.json'), JSON.stringify({ scenario: scenario.name, verdicts, evidence: { ...evidence, counters: Object.fromEntries(Object.entries(evidence.counters).filter(([, v]) => v !== 0)) } }, null, 2));
  await writeFile(path.join(runDir, 'background.txt'), bgOutputs.map((b) => `$ ${b.argv.join(' ')}\n${b.output}`).join('\n'));
  stage.done(verdicts.every((v) => v.ok) ? 'as expected' : 'not as expected');
  return {
    verdicts,
    ok: verdicts.every((v) => v.ok),
    evidence,
    seconds: (Date.now() - started) / 1000,
    trace: traceSummary,
    debug: debug ? { outcome: debug.outcome, seconds: debug.seconds, hits: debug.hits.length } : undefined,
    background: bgOutputs,
  };
}
