import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, truncate } from 'node:fs/promises';
import { execute } from '../process/runner.js';
import { LabError, InterruptedError } from '../errors.js';
import type { LabPaths } from '../config/paths.js';
import type { Progress } from '../progress/progress.js';
import type { Store } from '../store/store.js';
import { agentPing } from '../guest/serial-agent.js';
import { ensureLabKey, kernelKeyArg, muxSocket, openMux, sshBanner, sshReady } from '../guest/ssh.js';
import { GUEST_LAB_EXEC } from '../image/debian-plan.js';
import { prepareDisk } from '../qemu/overlay.js';
import { probeKvm } from '../qemu/kvm-probe.js';
import { kgdbKernelArgs, qemuArgs, type Accel } from '../qemu/args.js';
import { clearVmFiles, isOurQemu, killVm, writeState, type VmState } from './state.js';
import { assertPortFree, freeLocalPort } from './ports.js';
import { currentVm } from './status.js';
import { pidFromFile } from './pid-file.js';
import { hostArch } from '../arch/arch.js';

export interface StartRequest {
  qemu: { binary: string; version: string; firmwareDirs: string[] };
  kernel: VmState['kernel'];
  rootfs: VmState['rootfs'];
  profile: string;
  memory: string;
  cpus: number;
  gdbPort: number;
  accel: 'auto' | Accel;
  readyTimeoutMs: number;
  /** Extra kernel command-line words (--append). */
  append?: string[];
  /** Discard the Debian rootfs's overlay and start from the stored image. */
  fresh?: boolean;
  /** 127.0.0.1 port for ssh; a free one when absent. */
  sshPort?: number;
  /** KGDB on a third serial port: the 127.0.0.1 port it is served on (0: a free one). */
  kgdbPort?: number;
}

const UNIX_PATH_MAX = 107;

export async function lastSerialLines(paths: LabPaths, n = 15): Promise<string[]> {
  if (!existsSync(paths.serialLog)) return [];
  const text = await readFile(paths.serialLog, 'utf8');
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .slice(-n);
}

export async function startVm(
  store: Store,
  paths: LabPaths,
  request: StartRequest,
  options: { progress: Progress; signal?: AbortSignal },
): Promise<VmState> {
  const { progress, signal } = options;
  const existing = await currentVm(paths);
  if (existing.state) {
    throw new LabError(
      'VM_RUNNING',
      `a VM is already running (pid ${existing.state.pid}, gdb port ${existing.state.gdbPort})`,
      {
        hint: 'stop it with lab down first',
      },
    );
  }
  if (existing.staleCleaned)
    progress.notice(`lab: cleaned the state of a VM that had stopped (pid ${existing.staleCleaned.pid})`);
  for (const socket of [paths.consoleSocket, paths.agentSocket, paths.qmpSocket]) {
    if (socket.length > UNIX_PATH_MAX) {
      throw new LabError(
        'PATH_TOO_LONG',
        `${socket} is longer than a unix socket path may be (${UNIX_PATH_MAX} bytes)`,
        {
          hint: 'use a shorter --lab-dir',
        },
      );
    }
  }
  await assertPortFree(request.gdbPort);
  await mkdir(paths.vmDir, { recursive: true });

  const arch = request.kernel.arch ?? 'x86_64';
  if (request.accel === 'kvm' && arch !== hostArch()) {
    throw new LabError('BAD_OPTION', `KVM runs ${hostArch()} guests on this machine, not ${arch}`, {
      hint: 'use --accel tcg (or auto)',
    });
  }
  let accel: Accel = request.accel === 'auto' ? 'tcg' : request.accel;
  if (request.accel === 'auto' && arch !== hostArch()) {
    progress.notice(`lab: using TCG (software emulation): the guest is ${arch}, this machine ${hostArch()}`);
  } else if (request.accel === 'auto') {
    const verdict = await probeKvm(store, request.qemu, {
      arch,
      kernel: request.kernel.bzImage,
      initrd: request.rootfs.file,
      firmwareDirs: request.qemu.firmwareDirs,
    });
    if (verdict.usable) accel = 'kvm';
    else progress.notice(`lab: using TCG (software emulation): ${verdict.reason}`);
  }

  let disk: string | undefined;
  let ssh: VmState['ssh'];
  const append = [...(request.append ?? [])];
  if (request.rootfs.kind === 'debian') {
    const prepared = await prepareDisk(paths.disk, request.rootfs, {
      fresh: request.fresh ?? false,
      qemuBinary: request.qemu.binary,
    });
    if (prepared.made && prepared.why !== 'new')
      progress.notice(`lab: a new overlay on the stored image (${prepared.why})`);
    disk = prepared.disk;
    const key = await ensureLabKey(paths.sshKey);
    const port = request.sshPort ?? (await freeLocalPort());
    if (request.sshPort !== undefined) await assertPortFree(port, 'ssh');
    ssh = { port, key: key.privateKey, ...muxSocket(paths.vmDir, port) };
    if (ssh.controlPath) await rm(ssh.controlPath, { force: true });
    append.unshift('root=/dev/vda', 'rw', kernelKeyArg(key.publicKey));
  }

  let kgdb: VmState['kgdb'];
  if (request.kgdbPort !== undefined) {
    const port = request.kgdbPort || (await freeLocalPort());
    if (request.kgdbPort) await assertPortFree(port, 'kgdb');
    kgdb = { port };
    append.push(...kgdbKernelArgs(arch));
  }
  if (existsSync(paths.serialLog)) await truncate(paths.serialLog, 0);
  const args = qemuArgs({
    arch,
    kernel: request.kernel.bzImage,
    initrd: request.rootfs.kind === 'initramfs' ? request.rootfs.file : undefined,
    accel,
    memory: request.memory,
    cpus: request.cpus,
    gdbPort: request.gdbPort,
    serialLog: paths.serialLog,
    consoleSocket: paths.consoleSocket,
    agentSocket: paths.agentSocket,
    qmpSocket: paths.qmpSocket,
    pidFile: paths.pidFile,
    firmwareDirs: request.qemu.firmwareDirs,
    disk,
    sshPort: ssh?.port,
    kgdbPort: kgdb?.port,
    append,
  });
  const started = await execute({ program: { path: request.qemu.binary }, args, what: 'starting QEMU' });
  if (started.exitCode !== 0) {
    const first =
      started.stderr
        .toString()
        .split('\n')
        .find((l) => l.trim()) ?? `exit code ${started.exitCode}`;
    await clearVmFiles(paths);
    if (/gdb|4321|bind|Address already in use/i.test(first) && /in use/i.test(first)) {
      throw new LabError('PORT_IN_USE', `port ${request.gdbPort} on 127.0.0.1 is already in use`, {
        hint: 'pass --gdb-port with a free port',
      });
    }
    throw new LabError('QEMU_FAILED', `QEMU did not start: ${first.replace(/^qemu-system-[a-z0-9_]+: /, '')}`);
  }
  const pid = await pidFromFile(paths.pidFile);
  if (pid === undefined) throw new LabError('QEMU_FAILED', `QEMU started but left no pid in ${paths.pidFile}`);
  const state: VmState = {
    pid,
    qemu: request.qemu.binary,
    qemuVersion: request.qemu.version,
    firmwareDirs: request.qemu.firmwareDirs,
    accel,
    gdbPort: request.gdbPort,
    memory: request.memory,
    cpus: request.cpus,
    startedAt: new Date().toISOString(),
    kernel: request.kernel,
    rootfs: request.rootfs,
    sockets: { console: paths.consoleSocket, agent: paths.agentSocket, qmp: paths.qmpSocket },
    ssh,
    disk,
    kgdb,
    serialLog: paths.serialLog,
    profile: request.profile,
  };
  await writeState(paths, state);

  const stage = progress.stage(`boot (${accel}${ssh ? ', until ssh answers' : ''})`);
  try {
    await waitReady(paths, state, request.readyTimeoutMs, signal);
  } catch (err) {
    await killVm(paths, state);
    throw err;
  }
  stage.done('guest ready');
  return state;
}

/** The shared connection doubles as the readiness check: it succeeds once sshd lets the lab's key in. */
function sshAnswers(ssh: NonNullable<VmState['ssh']>): Promise<boolean> {
  return ssh.controlPath ? openMux({ ...ssh, controlPath: ssh.controlPath }) : sshReady(ssh, GUEST_LAB_EXEC);
}

async function waitReady(paths: LabPaths, state: VmState, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new InterruptedError('lab up');
    if (!(await isOurQemu(state.pid, paths.qmpSocket))) {
      const lines = await lastSerialLines(paths);
      throw new LabError(
        'BOOT_FAILED',
        `the VM stopped before the guest was ready; last serial lines:\n  ${lines.join('\n  ')}`,
      );
    }
    if (
      state.ssh
        ? (await sshBanner(state.ssh.port)) && (await sshAnswers(state.ssh))
        : await agentPing(state.sockets.agent, 1000)
    )
      return;
    await new Promise((r) => setTimeout(r, 200));
  }
  const lines = await lastSerialLines(paths);
  throw new LabError(
    'BOOT_TIMEOUT',
    `the guest was not ready within ${Math.round(timeoutMs / 1000)} s (the ` +
      `VM was stopped); last serial lines:\n  ${lines.join('\n  ') || '(none)'}`,
  );
}
