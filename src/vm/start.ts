import { existsSync } from 'node:fs';
import { mkdir, rm, truncate } from 'node:fs/promises';
import { execute, INHERITED_FD } from '../process/runner.js';
import { LabError } from '../errors.js';
import type { LabPaths } from '../config/paths.js';
import type { Progress } from '../progress/progress.js';
import type { Store } from '../store/store.js';
import { ensureLabKey, kernelKeyArg, muxSocket } from '../guest/ssh.js';
import { overlayRenewal, prepareDisk } from '../qemu/overlay.js';
import { probeKvm } from '../qemu/kvm-probe.js';
import { kgdbKernelArgs, qemuArgs, type Accel, type QemuPlan } from '../qemu/args.js';
import { clearVmFiles, killVm, writeState, type VmState } from './state.js';
import { waitReady } from './ready.js';
import { checkMomentName, findMoment, forgetMoments, prepareMomentsDisk, type Moment } from './moments.js';
import { restoreOrBoot, type StartPlanFacts } from './boot-moment.js';
import type { SharedStart } from './shared-start.js';
import type { StartRequest } from './start-request.js';
import { assertPortFree, freeLocalPort } from './ports.js';
import { currentVm } from './status.js';
import { pidFromFile } from './pid-file.js';
import { hostArch } from '../arch/arch.js';

export type { StartRequest } from './start-request.js';

const UNIX_PATH_MAX = 107;

export async function startVm(
  store: Store,
  paths: LabPaths,
  request: StartRequest,
  options: { progress: Progress; signal?: AbortSignal; sharedStart?: SharedStart },
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
  for (const socket of [paths.consoleSocket, paths.agentSocket, paths.qmpSocket, paths.snapshotSocket]) {
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

  let ssh: VmState['ssh'];
  let sshPublicKey: string | undefined;
  const append = [...(request.append ?? [])];
  if (request.rootfs.kind === 'debian') {
    const key = await ensureLabKey(paths.sshKey);
    sshPublicKey = key.publicKey;
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
  const plan: Omit<QemuPlan, 'disk' | 'incomingFd'> = {
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
    sshPort: ssh?.port,
    kgdbPort: kgdb?.port,
    icount: request.deterministic,
    // a Debian VM keeps its moments in its overlay
    momentsDisk: request.rootfs.kind === 'initramfs' ? paths.momentsDisk : undefined,
    append,
  };
  const base = { request, accel, ssh, kgdb };
  const facts: StartPlanFacts = {
    moment: request.moment === undefined ? undefined : await momentToStartAt(paths, request),
    sharedStart: options.sharedStart,
    forceBoot: request.boot ?? false,
    diskKept: request.rootfs.kind === 'debian' && !(await overlayRenewal(paths.disk, request.rootfs, !!request.fresh)),
  };
  return restoreOrBoot(store, paths, plan, facts, {
    request,
    sshPublicKey,
    progress,
    signal,
    /** Starts QEMU on the plan (restoring when asked), records its state, and waits for the guest unless restoring. */
    launch: async (from) => {
      const snapshot = from && 'memory' in from ? from : undefined;
      let disk: string | undefined;
      if (request.rootfs.kind === 'debian') {
        const prepared = await prepareDisk(paths.disk, request.rootfs, {
          fresh: request.fresh ?? false,
          qemuBinary: request.qemu.binary,
          snapshotDisk: snapshot?.disk,
        });
        if (prepared.made && prepared.why !== 'new' && prepared.why !== 'restored')
          progress.notice(`lab: a new overlay on the stored image (${prepared.why})`);
        disk = prepared.disk;
        // the moments were in the overlay that is gone
        if (prepared.made) await forgetMoments(paths);
      }
      if (plan.momentsDisk) await prepareMomentsDisk(paths, request.qemu.binary);
      const loadvm = from && 'moment' in from ? from.moment : undefined;
      const incomingFd = snapshot ? INHERITED_FD : undefined;
      const state = await launchQemu(paths, { ...plan, disk, incomingFd, loadvm }, base, snapshot?.memory);
      if (from) return state;
      const stage = progress.stage(`boot (${accel}${ssh ? ', until ssh answers' : ''})`);
      try {
        await waitReady(paths, state, request.readyTimeoutMs, { signal });
      } catch (err) {
        await killVm(paths, state);
        throw err;
      }
      stage.done('guest ready');
      return state;
    },
  });
}

/** Runs QEMU (it daemonizes once its sockets listen) and writes the VM's state. */
async function launchQemu(
  paths: LabPaths,
  plan: QemuPlan,
  base: { request: StartRequest; accel: Accel; ssh: VmState['ssh']; kgdb: VmState['kgdb'] },
  snapshotMemory?: string,
): Promise<VmState> {
  const { request } = base;
  const started = await execute(
    { program: { path: request.qemu.binary }, args: qemuArgs(plan), what: 'starting QEMU' },
    { inheritFile: snapshotMemory },
  );
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
    accel: base.accel,
    gdbPort: request.gdbPort,
    memory: request.memory,
    cpus: request.cpus,
    startedAt: new Date().toISOString(),
    kernel: request.kernel,
    rootfs: request.rootfs,
    sockets: { console: paths.consoleSocket, agent: paths.agentSocket, qmp: paths.qmpSocket },
    ssh: base.ssh,
    disk: plan.disk,
    kgdb: base.kgdb,
    serialLog: paths.serialLog,
    profile: request.profile,
  };
  await writeState(paths, state);
  return state;
}

/** The moment lab up --from names, checked before anything starts: it exists, and its disk state is still there. */
async function momentToStartAt(paths: LabPaths, request: StartRequest): Promise<Moment> {
  const name = checkMomentName(request.moment!);
  if (request.fresh) {
    throw new LabError(
      'BAD_OPTION',
      '--fresh discards the overlay that holds the moments, so --from has none to go to',
      {
        hint: `lab up --from ${name}, without --fresh`,
      },
    );
  }
  const moment = await findMoment(paths, name);
  if (request.rootfs.kind === 'debian' && (await overlayRenewal(paths.disk, request.rootfs, false))) {
    throw new LabError('SNAPSHOT_FAILED', `moment ${name} was on a disk overlay that is no longer there`, {
      hint: 'save it again: lab up, then lab snapshot save',
    });
  }
  return moment;
}
