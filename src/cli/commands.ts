import path from 'node:path';
import net from 'node:net';
import type { Argv } from 'yargs';
import { LabError } from '../errors.js';
import { labBuild, labConfigure, qemuChoice, readBuildRecord, type BuildFlags, type BuildRecord } from '../lab/build.js';
import { loadProfile } from '../config/profile.js';
import { checksFor, installLine, renderDoctor, runChecks } from '../doctor/checks.js';
import { systemProbe } from '../doctor/probe.js';
import { loadRecipe } from '../qemu/recipe.js';
import { runDebug, TRIGGERS, type Trigger, type DebugResult } from '../gdb/debug.js';
import { guestCopy, guestExec, parseCopy } from '../guest/channel.js';
import { SSH_DESTINATION, sshOptions } from '../guest/ssh.js';
import { ROOTFS_KINDS } from '../image/rootfs.js';
import { execa } from 'execa';
import { createRunDir, writeManifest } from '../record/run-dir.js';
import { down, requireVm, status, up, currentVm } from '../vm/vm.js';
import type { VmState } from '../vm/state.js';
import { qemuVersion, resolveQemu } from '../qemu/binary.js';
import type { CommandContext } from './context.js';
import { renderBuild, renderConfigure, renderDebug, renderStatus, renderTrace } from './render.js';
import { runTrace } from '../trace/trace.js';
import { listScenarios, loadScenario } from '../scenario/schema.js';
import { runScenario } from '../scenario/session.js';
import { renderVerdicts } from '../scenario/verdict.js';
import { writeFile } from 'node:fs/promises';

export const DEMO_BREAKPOINTS = [
  'kcompactd',
  'kcompactd_do_work',
  'compact_zone',
  'compact_unlock_should_abort',
  'isolate_freepages_block',
];

export function buildOptions<T>(y: Argv<T>) {
  return y
    .option('profile', { type: 'string', describe: 'lab profile (6.6, debian); without it, 6.6 falling back to debian when unreachable' })
    .option('kernel-source', { type: 'string', describe: 'kernel source: a tarball, a directory, or an https URL (with --kernel-sha256)' })
    .option('kernel-sha256', { type: 'string', describe: 'sha256 of --kernel-source' })
    .option('config', { type: 'string', describe: 'your full kernel .config as the base; the lab fragment is enforced on top' })
    .option('base', { choices: ['tinyconfig', 'defconfig'] as const, describe: 'base config when no --config is given' })
    .option('fragment', { type: 'string', array: true, describe: 'config fragments to merge (default: the profile\'s)' })
    .option('qemu', { type: 'string', describe: '"system", "build" (the profile\'s QEMU source), or the path of a qemu-system-x86_64' })
    .option('qemu-build', { type: 'boolean', describe: 'build the profile\'s QEMU from source (debian: Debian\'s 7.2 orig tarball)' })
    .option('rootfs', { choices: ROOTFS_KINDS, describe: 'debian: a debootstrap image with ssh (the profiles\' default); initramfs: busybox, boots in a second' })
    .option('modules', { type: 'boolean', describe: 'build and keep the kernel modules too' });
}

export function upOptions<T>(y: Argv<T>) {
  return y
    .option('memory', { type: 'string', default: '2G', describe: 'guest memory' })
    .option('cpus', { type: 'number', default: 2, describe: 'guest CPUs' })
    .option('gdb-port', { type: 'number', default: 4321, describe: 'gdbstub port on 127.0.0.1' })
    .option('accel', { choices: ['auto', 'kvm', 'tcg'] as const, default: 'auto' as const, describe: 'auto probes KVM and falls back to TCG' })
    .option('boot-timeout', { type: 'number', default: 120, describe: 'seconds to wait for the guest' })
    .option('fresh', { type: 'boolean', default: false, describe: 'discard the Debian rootfs overlay and start from the stored image' })
    .option('append', { type: 'string', array: true, describe: 'extra kernel command-line words' })
    .option('ssh-port', { type: 'number', describe: '127.0.0.1 port forwarded to the guest\'s ssh (default: a free one)' });
}

export function debugOptions<T>(y: Argv<T>) {
  return y
    .option('break', { type: 'string', array: true, describe: 'function to break on (repeatable)' })
    .option('count', { type: 'number', default: 10, describe: 'stop after this many hits in total (0: no limit)' })
    .option('timeout', { type: 'number', default: 60, describe: 'stop after this many seconds' })
    .option('trigger', { choices: Object.keys(TRIGGERS) as Trigger[], describe: 'run once the breakpoints are armed: compact writes 1 to /proc/sys/vm/compact_memory' });
}

export async function buildCommand(ctx: CommandContext, flags: BuildFlags): Promise<void> {
  if (flags.configureOnly) {
    const configured = await labConfigure(ctx.store, ctx.paths, flags, { progress: ctx.progress, signal: ctx.signal });
    ctx.out(ctx.json ? JSON.stringify(configured, null, 2) : renderConfigure(configured));
    return;
  }
  const record = await labBuild(ctx.store, ctx.paths, flags, { progress: ctx.progress, signal: ctx.signal });
  ctx.out(ctx.json ? JSON.stringify(record, null, 2) : renderBuild(record));
}

export interface UpFlags {
  memory: string;
  cpus: number;
  gdbPort: number;
  accel: 'auto' | 'kvm' | 'tcg';
  bootTimeout: number;
  qemu?: string;
  fresh?: boolean;
  append?: string[];
  sshPort?: number;
}

function validateUp(flags: UpFlags): void {
  if (!/^\d+[MG]?$/i.test(flags.memory)) {
    throw new LabError('BAD_MEMORY', `--memory ${flags.memory} is not a size`, { hint: 'give e.g. 2G or 2048M', exitCode: 2 });
  }
  if (!Number.isInteger(flags.cpus) || flags.cpus < 1 || flags.cpus > 64) {
    throw new LabError('BAD_CPUS', `--cpus ${flags.cpus} is not a CPU count`, { hint: 'give 1 to 64', exitCode: 2 });
  }
  if (!Number.isInteger(flags.gdbPort) || flags.gdbPort < 1 || flags.gdbPort > 65535) {
    throw new LabError('BAD_PORT', `--gdb-port ${flags.gdbPort} is not a port`, { hint: 'give 1 to 65535', exitCode: 2 });
  }
}

export async function upVm(ctx: CommandContext, build: BuildRecord, flags: UpFlags): Promise<VmState> {
  validateUp(flags);
  const qemu =
    flags.qemu && flags.qemu !== 'build'
      ? { binary: resolveQemu(flags.qemu), version: '', firmwareDirs: [] as string[] }
      : { binary: build.qemu.binary, version: build.qemu.version, firmwareDirs: build.qemu.firmwareDirs };
  if (!qemu.version) qemu.version = await qemuVersion(qemu.binary);
  return up(
    ctx.store,
    ctx.paths,
    {
      qemu,
      kernel: {
        bzImage: build.kernel.bzImage,
        vmlinux: build.kernel.vmlinux,
        gdbScript: build.kernel.gdbScript,
        version: build.kernel.version,
        key: build.kernel.key,
      },
      rootfs: { kind: build.rootfs.kind, file: build.rootfs.file, key: build.rootfs.key, channel: build.rootfs.channel },
      profile: build.profile,
      memory: flags.memory,
      cpus: flags.cpus,
      gdbPort: flags.gdbPort,
      accel: flags.accel,
      readyTimeoutMs: flags.bootTimeout * 1000,
      append: flags.append?.flatMap((a) => a.split(/\s+/).filter(Boolean)),
      fresh: flags.fresh,
      sshPort: flags.sshPort,
    },
    { progress: ctx.progress, signal: ctx.signal },
  );
}

export async function upCommand(ctx: CommandContext, flags: UpFlags): Promise<void> {
  const build = await readBuildRecord(ctx.paths);
  const state = await upVm(ctx, build, flags);
  if (ctx.json) ctx.out(JSON.stringify(await status(ctx.paths), null, 2));
  else {
    const ssh = state.ssh ? `, ssh on 127.0.0.1:${state.ssh.port} (lab ssh)` : '';
    ctx.out(`VM up: pid ${state.pid}, ${state.accel}, gdb on 127.0.0.1:${state.gdbPort}${ssh}, serial log ${state.serialLog}`);
  }
}

export async function downCommand(ctx: CommandContext): Promise<void> {
  const r = await down(ctx.paths);
  const text = {
    stopped: `VM stopped (pid ${r.pid})`,
    killed: `VM did not quit and was killed (pid ${r.pid})`,
    'was-stopped': `the VM (pid ${r.pid}) had already stopped; its state was cleaned`,
    none: 'no VM was running',
  }[r.outcome];
  ctx.out(ctx.json ? JSON.stringify(r) : text);
}

export async function statusCommand(ctx: CommandContext): Promise<void> {
  const s = await status(ctx.paths);
  ctx.out(ctx.json ? JSON.stringify(s, null, 2) : renderStatus(s));
}

export interface DebugFlags {
  break?: string[];
  count: number;
  timeout: number;
  trigger?: Trigger;
}

export async function debugSession(ctx: CommandContext, vm: VmState, flags: DebugFlags): Promise<{ result: DebugResult; runDir: string }> {
  const breakpoints = flags.break ?? [];
  if (breakpoints.length === 0) throw new LabError('NO_BREAKPOINTS', 'no --break given', { hint: 'name a function, e.g. --break compact_zone', exitCode: 2 });
  if (!Number.isInteger(flags.count) || flags.count < 0) throw new LabError('BAD_COUNT', `--count ${flags.count} is not a hit count`, { hint: 'give 0 (no limit) or more', exitCode: 2 });
  if (!(flags.timeout > 0)) throw new LabError('BAD_TIMEOUT', `--timeout ${flags.timeout} is not a number of seconds`, { hint: 'give a positive number', exitCode: 2 });
  const build = await readBuildRecord(ctx.paths).catch(() => undefined);
  const { id, dir } = await createRunDir(ctx.paths.runs, 'debug');
  const manifest: Record<string, unknown> = {
    id,
    kind: 'debug',
    command: ['lab', ...process.argv.slice(2)],
    createdAt: new Date().toISOString(),
    profile: vm.profile,
    fellBackFrom: build?.fellBackFrom,
    kernel: build?.kernel.key === vm.kernel.key ? pickKernel(build) : { version: vm.kernel.version, key: vm.kernel.key },
    rootfs: vm.rootfs,
    qemu: {
      binary: vm.qemu,
      version: vm.qemuVersion,
      built: build?.qemu.binary === vm.qemu ? build.qemu.built : undefined,
      firmwareDirs: vm.firmwareDirs,
      accel: vm.accel,
      memory: vm.memory,
      cpus: vm.cpus,
    },
    request: { breakpoints, count: flags.count, timeout: flags.timeout, trigger: flags.trigger },
  };
  await writeManifest(dir, manifest);
  try {
    const sourceTree = build?.kernel.sourceId ? path.join(ctx.store.root, 'sources', build.kernel.sourceId) : undefined;
    const result = await runDebug(
      vm,
      { breakpoints, count: flags.count, timeoutSeconds: flags.timeout, trigger: flags.trigger, sourceTree },
      dir,
      { progress: ctx.progress, signal: ctx.signal },
    );
    await writeManifest(dir, { ...manifest, gdb: result.gdbVersion, outcome: result.outcome, hits: result.hits.length, trigger: result.trigger, seconds: result.seconds });
    return { result, runDir: dir };
  } catch (err) {
    await writeManifest(dir, { ...manifest, error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}

function pickKernel(build: BuildRecord) {
  const k = build.kernel;
  return { version: k.version, key: k.key, source: k.sourceId, origin: k.sourceOrigin, configSha256: k.configSha256, compiler: k.compiler };
}

export async function debugCommand(ctx: CommandContext, flags: DebugFlags): Promise<number> {
  const vm = await requireVm(ctx.paths);
  const { result, runDir } = await debugSession(ctx, vm, flags);
  ctx.out(ctx.json ? JSON.stringify({ runDir, outcome: result.outcome, hits: result.hits.length, trigger: result.trigger }, null, 2) : renderDebug(result, runDir, { breakpoints: flags.break }));
  return result.outcome === 'interrupted' ? 130 : 0;
}

export async function execCommand(ctx: CommandContext, argv: string[], timeout: number): Promise<number> {
  if (argv.length === 0) throw new LabError('NO_COMMAND', 'no command given', { hint: 'lab exec -- CMD ARG...', exitCode: 2 });
  const vm = await requireVm(ctx.paths);
  const r = await guestExec(vm, argv, { timeoutMs: timeout * 1000, signal: ctx.signal });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  return r.exitCode;
}

/** lab ssh: an interactive shell, or ssh's own "ssh host CMD..." (the words are the user's shell command). */
export async function sshCommand(ctx: CommandContext, words: string[]): Promise<number> {
  const vm = await requireVm(ctx.paths);
  if (!vm.ssh) {
    throw new LabError('NO_SSH', `the ${vm.rootfs.kind} rootfs has no ssh`, { hint: 'use lab exec or lab console, or lab build --rootfs debian' });
  }
  const tty = words.length === 0 && process.stdin.isTTY ? ['-t'] : [];
  const r = await execa('ssh', [...sshOptions(vm.ssh), ...tty, SSH_DESTINATION, ...words], { stdio: 'inherit', reject: false });
  return r.exitCode ?? 1;
}

export async function cpCommand(ctx: CommandContext, src: string, dst: string): Promise<void> {
  const copy = parseCopy(src, dst);
  const vm = await requireVm(ctx.paths);
  await guestCopy(vm, copy, ctx.signal);
}

export async function consoleCommand(ctx: CommandContext): Promise<void> {
  const vm = await requireVm(ctx.paths);
  if (!process.stdin.isTTY) throw new LabError('NOT_A_TTY', 'lab console needs a terminal', { hint: `read ${vm.serialLog} instead` });
  process.stderr.write('lab: attached to the serial console; Ctrl-] detaches\n');
  await new Promise<void>((resolve, reject) => {
    const socket = net.createConnection(vm.sockets.console);
    const stdin = process.stdin;
    const restore = () => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
    };
    const onData = (d: Buffer) => {
      if (d.includes(0x1d)) {
        restore();
        socket.end();
        resolve();
        return;
      }
      socket.write(d);
    };
    socket.on('connect', () => {
      stdin.setRawMode(true);
      stdin.resume();
      stdin.on('data', onData);
      socket.write('\n');
    });
    socket.on('data', (d) => process.stdout.write(d));
    socket.on('error', (e) => {
      restore();
      reject(e);
    });
    socket.on('close', () => {
      restore();
      resolve();
    });
  });
}

export async function demoCommand(ctx: CommandContext, flags: BuildFlags & UpFlags & { count: number; timeout: number }): Promise<void> {
  // the initramfs boots in a second; the seed's breakpoints need nothing more
  const build = await labBuild(ctx.store, ctx.paths, { rootfs: 'initramfs', ...flags }, { progress: ctx.progress, signal: ctx.signal });
  if (!ctx.json) ctx.out(renderBuild(build));
  let { state: vm } = await currentVm(ctx.paths);
  if (vm && vm.kernel.key !== build.kernel.key) {
    throw new LabError('VM_RUNNING', `a VM with another kernel is running (pid ${vm.pid})`, { hint: 'stop it with lab down, then run lab demo again' });
  }
  if (!vm) vm = await upVm(ctx, build, flags);
  const { result, runDir } = await debugSession(ctx, vm, {
    break: DEMO_BREAKPOINTS,
    count: flags.count,
    timeout: flags.timeout,
    trigger: 'compact',
  });
  if (ctx.json) ctx.out(JSON.stringify({ build: { profile: build.profile, fellBackFrom: build.fellBackFrom, kernel: build.kernel.version }, runDir, outcome: result.outcome, hits: result.hits.length }, null, 2));
  else {
    ctx.out(renderDebug(result, runDir, { wholeBacktrace: true, breakpoints: DEMO_BREAKPOINTS }));
    ctx.out(`\nThe VM is still running (lab status); lab debug --break NAME attaches again, lab down stops it.`);
  }
}

export async function doctorCommand(ctx: CommandContext, flags: { profile?: string; qemuBuild?: boolean; qemu?: string }): Promise<number> {
  const profile = loadProfile(flags.profile ?? 'debian');
  const choice = qemuChoice(profile, flags);
  const recipe = profile.qemu.recipe ? loadRecipe(profile.qemu.recipe).recipe : undefined;
  const results = runChecks(checksFor(profile, { qemuBuild: choice === 'build', recipe }), systemProbe);
  const missing = results.filter((r) => !r.ok);
  if (ctx.json) {
    ctx.out(JSON.stringify({ profile: profile.name, missing: missing.map((r) => r.check), install: installLine(results) ?? null }, null, 2));
  } else {
    ctx.out(`profile ${profile.name}${choice === 'build' ? `, QEMU ${recipe?.version} built from source` : ''}\n${renderDoctor(results)}`);
  }
  return missing.length ? 1 : 0;
}

export interface TraceFlags {
  tracer: 'nop' | 'function' | 'function_graph';
  filter?: string[];
  graphFunction?: string[];
  maxDepth?: number;
  event?: string[];
  pid?: number;
  duration?: number;
}

export async function traceCommand(ctx: CommandContext, flags: TraceFlags, command: string[]): Promise<number> {
  const vm = await requireVm(ctx.paths);
  if (!command.length && !(flags.duration && flags.duration > 0)) {
    throw new LabError('NO_TRACE_SPAN', 'say how long to trace', { hint: 'give --duration SECONDS or -- CMD ARG... to run in the guest', exitCode: 2 });
  }
  const { id, dir } = await createRunDir(ctx.paths.runs, 'trace');
  const request = {
    tracer: flags.tracer,
    filters: flags.filter ?? [],
    graphFunctions: flags.graphFunction ?? [],
    maxDepth: flags.maxDepth,
    events: flags.event ?? [],
    pid: flags.pid,
    bufferKb: 8192,
  };
  const manifest = { id, kind: 'trace', command: ['lab', ...process.argv.slice(2)], createdAt: new Date().toISOString(), profile: vm.profile, kernel: vm.kernel, rootfs: vm.rootfs, request, guestCommand: command };
  await writeManifest(dir, manifest);
  const stage = ctx.progress.stage('trace');
  const r = await runTrace(vm, request, command.length ? { command } : { durationSeconds: flags.duration }, dir, ctx.signal);
  stage.done(`${r.summary.records} records`);
  await writeManifest(dir, { ...manifest, records: r.summary.records, commandExit: r.command?.exitCode });
  if (ctx.json) ctx.out(JSON.stringify({ runDir: dir, ...r.summary, timeline: undefined }, null, 2));
  else ctx.out(renderTrace(r.summary, dir));
  return r.command?.exitCode ?? 0;
}

export async function runCommand(ctx: CommandContext, name: string | undefined, list: boolean): Promise<number> {
  if (list || !name) {
    const all = listScenarios();
    ctx.out(ctx.json ? JSON.stringify(all, null, 2) : all.map((s) => `${s.name.padEnd(10)} ${s.description}`).join('\n'));
    return list ? 0 : 2;
  }
  const scenario = loadScenario(name);
  const vm = await requireVm(ctx.paths);
  const build = await readBuildRecord(ctx.paths).catch(() => undefined);
  const { id, dir } = await createRunDir(ctx.paths.runs, scenario.name);
  const manifest = {
    id,
    kind: 'scenario',
    scenario,
    command: ['lab', ...process.argv.slice(2)],
    createdAt: new Date().toISOString(),
    profile: vm.profile,
    kernel: vm.kernel,
    rootfs: vm.rootfs,
    qemu: { binary: vm.qemu, version: vm.qemuVersion, accel: vm.accel, memory: vm.memory, cpus: vm.cpus },
  };
  await writeManifest(dir, manifest);
  const sourceTree = build?.kernel.sourceId ? path.join(ctx.store.root, 'sources', build.kernel.sourceId) : undefined;
  const result = await runScenario(vm, scenario, dir, { progress: ctx.progress, signal: ctx.signal, sourceTree });
  await writeManifest(dir, { ...manifest, ok: result.ok, seconds: result.seconds, verdicts: result.verdicts.map((v) => ({ path: v.path, fired: v.fired, ok: v.ok })) });
  const report = renderVerdicts(result.verdicts);
  await writeFile(path.join(dir, 'report.txt'), report + '\n');
  if (ctx.json) ctx.out(JSON.stringify({ scenario: scenario.name, runDir: dir, ok: result.ok, seconds: result.seconds, verdicts: result.verdicts }, null, 2));
  else ctx.out(`${scenario.name}: ${result.seconds.toFixed(0)} s, recorded in ${dir}\n${report}`);
  if (!result.ok) {
    const missing = result.verdicts.flatMap((v) => v.missing);
    process.stderr.write(`lab: scenario ${scenario.name} did not show what it expects${missing.length ? `: missing ${missing.join('; ')}` : ''}\n`);
    return 1;
  }
  return 0;
}
