import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { LabError } from '../errors.js';
import { parseBreakpointSpec, type BreakpointRequest } from '../gdb/breakpoint-spec.js';
import { unknownBreakpointError } from '../gdb/debug.js';
import { holdGdbCommand, onDebugger, vmlinuxArch } from '../gdb/gdb-command.js';
import { functionNamesFromSystemMap } from '../gdb/suggest.js';
import { launch, type RunningProcess } from '../process/runner.js';
import { runFile } from '../record/files.js';
import { failRun, openRun, updateManifest } from '../record/manifest.js';
import { elfBuildIdOfFile } from '../util/elf.js';
import { dumpGuestMemory, type DumpFormat } from '../vm/dump.js';
import type { VmState } from '../vm/state.js';
import { requireVm } from '../vm/status.js';
import { readKdumpKernel, UTSNAME_FIELDS } from '../vmcore/kdump-header.js';
import { readBuildRecordIfAny } from './build-record.js';
import type { LabContext } from './context.js';

export interface DumpRequest {
  /** Dump at this breakpoint's first hit (FN, FILE:LINE, "if COND"), else at once. */
  at?: string;
  /** How long to wait for the hit. */
  timeoutSeconds: number;
}

export interface DumpResult {
  runDir: string;
  core: string;
  format: DumpFormat;
  bytes: number;
  /** Seconds QEMU (and makedumpfile) took to write the core. */
  seconds: number;
  /** The build id the core names (its vmcoreinfo), which is the vmlinux's. */
  buildId: string;
  /** The free lists as lab-buddy walked them through gdb, in the same stop. */
  buddy: unknown;
}

const HeldSchema = z.object({
  buddy: z.array(z.unknown()),
  utsname: z.partialRecord(z.enum(UTSNAME_FIELDS), z.string()),
});
type HeldMoment = z.infer<typeof HeldSchema>;

/** gdb's LAB-HELD line: lab-buddy's free lists and the kernel's utsname in the held moment. */
function heldMoment(json: string): HeldMoment {
  let parsed: ReturnType<typeof HeldSchema.safeParse> | undefined;
  try {
    parsed = HeldSchema.safeParse(JSON.parse(json));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) throw new LabError('DUMP_FAILED', `gdb's account of the held guest is not JSON lab reads`);
  return parsed.data;
}

/** Writing 2 GiB of guest memory compressed takes seconds; this bounds a stuck QEMU. */
const WRITE_TIMEOUT_MS = 10 * 60_000;

async function checkBreakpoint(vm: VmState, spec: string): Promise<BreakpointRequest> {
  const at = parseBreakpointSpec(spec);
  const systemMap = path.join(path.dirname(vm.kernel.vmlinux), 'System.map');
  if (at.kind !== 'function' || at.condition || !existsSync(systemMap)) return at;
  if (!functionNamesFromSystemMap(await readFile(systemMap, 'utf8')).has(at.location))
    throw await unknownBreakpointError(vm, [{ spec, error: '' }], [at]);
  return at;
}

/** Waits for gdb's LAB-HELD line (the guest stopped, lab-buddy's JSON on it), gdb's end, or the timeout. */
function waitHeld(gdb: RunningProcess, line: Promise<string>, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ timedOut: true }>(
    (resolve) => (timer = setTimeout(() => resolve({ timedOut: true }), timeoutMs)),
  );
  return Promise.race([line.then((json) => ({ json })), gdb.result.then((exited) => ({ exited })), timeout]).finally(
    () => clearTimeout(timer),
  );
}

/**
 * lab dump: the guest's memory as a kdump core in a new run directory, with
 * lab-buddy's free lists of the same moment. gdb holds the guest (at once,
 * or at a breakpoint's first hit) while QEMU writes; then it runs on.
 */
export async function dumpGuest(ctx: LabContext, request: DumpRequest): Promise<DumpResult> {
  const vm = await requireVm(ctx.paths);
  const at = request.at ? await checkBreakpoint(vm, request.at) : undefined;
  const vmlinuxBuildId = await elfBuildIdOfFile(vm.kernel.vmlinux);
  const build = await readBuildRecordIfAny(ctx.paths);
  const run = await openRun(ctx, 'dump', 'dump', vm, build, { at: request.at ?? null });
  const release = path.join(run.dir, '.release');
  const core = runFile(run.dir, 'core');
  try {
    const waitMs = request.timeoutSeconds * 1000;
    const target = `127.0.0.1:${vm.gdbPort}`;
    const hold = { release, seconds: request.timeoutSeconds + WRITE_TIMEOUT_MS / 1000, at };
    const command = holdGdbCommand(vm.kernel.vmlinux, target, hold, vm.kernel.sourceTree);
    let onHeld: (json: string) => void = () => undefined;
    const heldLine = new Promise<string>((resolve) => (onHeld = resolve));
    const gdb = launch(onDebugger(command, await vmlinuxArch(vm.kernel.vmlinux)), {
      signal: ctx.signal,
      logFile: runFile(run.dir, 'gdbLog'),
      onLine: (line, stream) => stream === 'stdout' && line.startsWith('LAB-HELD ') && onHeld(line.slice(9)),
    });
    const stage = ctx.progress.stage(at ? `dump: waiting for ${at.spec}` : 'dump: holding the guest');
    const outcome = await waitHeld(gdb, heldLine, at ? waitMs : 60_000);
    let written: Awaited<ReturnType<typeof dumpGuestMemory>> & { seconds: number };
    let held: HeldMoment;
    try {
      if ('timedOut' in outcome) {
        gdb.signalGroup('SIGINT');
        const what = at ? `${at.spec} was not hit within ${request.timeoutSeconds} s` : 'gdb did not stop the guest';
        throw new LabError('DUMP_FAILED', `${what}: nothing was dumped`, {
          hint: at ? 'make the guest reach it (lab exec ...) or give a longer --timeout' : 'see lab status',
        });
      }
      if ('exited' in outcome) {
        const why = outcome.exited.tail.filter(Boolean).slice(-1)[0] ?? `exit ${outcome.exited.exitCode}`;
        throw new LabError('DUMP_FAILED', `gdb could not hold the guest: ${why}`, { hint: 'see gdb.log in the run' });
      }
      held = heldMoment(outcome.json);
      await writeFile(runFile(run.dir, 'buddy'), JSON.stringify(held.buddy) + '\n');
      stage.update({ done: 0 });
      const started = Date.now();
      const file = await dumpGuestMemory(vm.sockets.qmp, core, held.utsname, WRITE_TIMEOUT_MS);
      written = { ...file, seconds: Math.round((Date.now() - started) / 100) / 10 };
    } finally {
      await writeFile(release, '');
      await gdb.result.catch(() => undefined);
      await rm(release, { force: true });
    }
    const kernel = await readKdumpKernel(core);
    if (!kernel.buildId || kernel.buildId !== vmlinuxBuildId) {
      throw new LabError(
        'DUMP_FAILED',
        `the core names build id ${kernel.buildId ?? 'none'}, the VM's vmlinux is ${vmlinuxBuildId ?? 'without one'}`,
        { hint: 'the kernel needs CONFIG_PROC_KCORE and CONFIG_FW_CFG_SYSFS (lab.config has them): lab build' },
      );
    }
    stage.done(`${Math.round(written.bytes / 2 ** 20)} MiB in ${written.seconds} s`);
    const { vmlinux, sourceTree } = vm.kernel;
    const dump = {
      ...written,
      at: request.at ?? null,
      buildId: kernel.buildId,
      vmlinux,
      sourceTree,
      osrelease: kernel.osrelease,
    };
    await updateManifest(run, { dump, ok: true });
    return { runDir: run.dir, core, ...dump, buddy: held.buddy };
  } catch (err) {
    await rm(core, { force: true });
    await failRun(run, err);
    throw err;
  }
}
