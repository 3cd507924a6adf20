import { LabError } from '../errors.js';
import { qemuVersion, resolveQemu } from '../qemu/binary.js';
import { startVm } from '../vm/start.js';
import { currentVm } from '../vm/status.js';
import type { SharedStart } from '../vm/shared-start.js';
import type { VmState } from '../vm/state.js';
import type { BuildRecord } from './build-record.js';
import { readBuildRecord, sourceTreeOf } from './build-record.js';
import type { LabContext } from './context.js';

export interface StartFlags {
  memory: string;
  cpus: number;
  gdbPort: number;
  accel: 'auto' | 'kvm' | 'tcg';
  bootTimeout: number;
  qemu?: string;
  fresh?: boolean;
  /** Boot even when the VM's boot snapshot could be restored. */
  boot?: boolean;
  /** A named moment of this lab to load once the VM is up (lab up --from). */
  from?: string;
  append?: string[];
  sshPort?: number;
  /** KGDB on a third serial port. */
  kgdb?: boolean;
  kgdbPort?: number;
  /** -icount: the guest's clock counts instructions (TCG only). */
  deterministic?: boolean;
}

/** The flags checked before anything starts (pure). */
export function validateStartFlags(flags: StartFlags): void {
  if (!/^\d+[MG]?$/i.test(flags.memory)) throw new LabError('BAD_MEMORY', `--memory ${flags.memory} is not a size`);
  if (!Number.isInteger(flags.cpus) || flags.cpus < 1 || flags.cpus > 64)
    throw new LabError('BAD_CPUS', `--cpus ${flags.cpus} is not a CPU count`);
  for (const [name, port] of [
    ['--gdb-port', flags.gdbPort],
    ['--ssh-port', flags.sshPort],
    ['--kgdb-port', flags.kgdbPort],
  ] as const) {
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535))
      throw new LabError('BAD_PORT', `${name} ${port} is not a port`);
  }
  if (flags.deterministic && flags.accel === 'kvm')
    throw new LabError('BAD_OPTION', "--deterministic counts TCG's instructions: it cannot run under KVM", {
      hint: 'drop --accel kvm',
    });
  if (!(flags.bootTimeout > 0))
    throw new LabError('BAD_TIMEOUT', `--boot-timeout ${flags.bootTimeout} is not a number of seconds`);
}

/** Boots what a build made. */
export async function startBuiltVm(
  ctx: LabContext,
  build: BuildRecord,
  flags: StartFlags,
  sharedStart?: SharedStart,
): Promise<VmState> {
  validateStartFlags(flags);
  const qemu =
    flags.qemu && flags.qemu !== 'build'
      ? { binary: resolveQemu(flags.qemu, build.kernel.arch), version: '', firmwareDirs: [] as string[] }
      : { binary: build.qemu.binary, version: build.qemu.version, firmwareDirs: build.qemu.firmwareDirs };
  if (!qemu.version) qemu.version = await qemuVersion(qemu.binary, ctx.store);
  const k = build.kernel;
  return startVm(
    ctx.store,
    ctx.paths,
    {
      qemu,
      kernel: {
        bzImage: k.bzImage,
        vmlinux: k.vmlinux,
        gdbScript: k.gdbScript,
        version: k.version,
        key: k.key,
        sourceTree: sourceTreeOf(ctx, build),
        arch: k.arch,
      },
      rootfs: {
        kind: build.rootfs.kind,
        file: build.rootfs.file,
        key: build.rootfs.key,
        channel: build.rootfs.channel,
      },
      profile: build.profile,
      memory: flags.memory,
      cpus: flags.cpus,
      gdbPort: flags.gdbPort,
      accel: flags.deterministic ? 'tcg' : flags.accel,
      deterministic: flags.deterministic,
      readyTimeoutMs: flags.bootTimeout * 1000,
      append: flags.append?.flatMap((a) => a.split(/\s+/).filter(Boolean)),
      fresh: flags.fresh,
      boot: flags.boot,
      moment: flags.from,
      sshPort: flags.sshPort,
      kgdbPort: flags.kgdb || flags.kgdbPort !== undefined ? (flags.kgdbPort ?? 0) : undefined,
    },
    { progress: ctx.progress, signal: ctx.signal, sharedStart },
  );
}

/** lab up: boots the lab's last build, and goes to a named moment of it when asked (--from). */
export async function startLabVm(ctx: LabContext, flags: StartFlags): Promise<VmState> {
  validateStartFlags(flags);
  return startBuiltVm(ctx, await readBuildRecord(ctx.paths), flags);
}

/** The VM running this build's kernel, booting one when none runs; another kernel's VM is an error. */
export async function ensureVmFor(ctx: LabContext, build: BuildRecord, flags: StartFlags): Promise<VmState> {
  const { state } = await currentVm(ctx.paths);
  if (!state) return startBuiltVm(ctx, build, flags);
  if (state.kernel.key !== build.kernel.key) {
    throw new LabError('VM_RUNNING', `a VM with another kernel is running (pid ${state.pid})`, {
      hint: 'stop it with lab down, then run the command again',
    });
  }
  return state;
}

export { labVmStatus, runningVm, stopLabVm } from './vm-status.js';
