import { AGENT_PORT, archSpec, type Arch } from '../arch/arch.js';

/**
 * The QEMU command line, built as data (pure, so it is tested as a list).
 * Every port is on 127.0.0.1 and every other channel is a unix socket.
 */
export type Accel = 'kvm' | 'tcg';

export interface QemuPlan {
  /** The guest's architecture: its machine, console and channels (src/arch/arch.ts). */
  arch: Arch;
  kernel: string;
  initrd?: string;
  accel: Accel;
  memory: string;
  cpus: number;
  gdbPort: number;
  serialLog: string;
  consoleSocket: string;
  agentSocket: string;
  qmpSocket: string;
  pidFile: string;
  /** Extra kernel command-line words. */
  append?: string[];
  /** Firmware directories (-L) for a QEMU built without its own blobs. */
  firmwareDirs?: string[];
  /** A root disk (the qcow2 overlay) as /dev/vda. */
  disk?: string;
  /** User networking with the guest's sshd forwarded from this 127.0.0.1 port. */
  sshPort?: number;
  /** A third serial port for KGDB (kgdboc), served on this 127.0.0.1 port. */
  kgdbPort?: number;
  /** Restore a boot snapshot: QEMU reads its stream from this inherited file descriptor instead of booting. */
  incomingFd?: number;
  /** The qcow2 that holds the lab's named moments (block node "moments"). */
  momentsDisk?: string;
  /** Start at this named moment (-loadvm) instead of booting. */
  loadvm?: string;
  /**
   * -icount shift=0,sleep=off: TCG counts instructions as the guest's clock
   * (1 ns each), and an idle guest's timers fire at once, not in host time.
   */
  icount?: boolean;
}

/** The block node names QMP's snapshot-save and snapshot-load are given. */
export const MOMENTS_NODE = 'moments';
export const DISK_NODE = 'disk';

/** A path inside one QEMU option value, where a comma ends the value unless doubled. */
function optionValue(path: string): string {
  return path.replace(/,/g, ',,');
}

/** The kernel command-line words that put KGDB on its line (x86_64: ttyS2, after the console and the agent). */
export function kgdbKernelArgs(arch: Arch): string[] {
  return [`kgdboc=${archSpec(arch).tty.kgdb},115200`];
}

export const BASE_KERNEL_ARGS = ['nokaslr', 'panic=-1', 'loglevel=7'];

/** The console first; where the agent is not ttyS1, the initramfs's init is told (lab.agent=). */
export function baseKernelArgs(arch: Arch): string[] {
  const { tty, fwCfgArgs } = archSpec(arch);
  const agent = tty.agent === 'ttyS1' ? [] : [`lab.agent=${tty.agent}`];
  return [`console=${tty.console}`, ...BASE_KERNEL_ARGS, ...fwCfgArgs, ...agent];
}

export function kernelCommandLine(plan: Pick<QemuPlan, 'append' | 'arch'>): string {
  return [...baseKernelArgs(plan.arch), ...(plan.append ?? [])].join(' ');
}

/** -machine with the accelerator, and -cpu where the board's default will not do. */
function boardArgs(arch: Arch, accel: Accel): string[] {
  const { board, cpu } = archSpec(arch).qemu;
  const model = cpu[accel];
  return ['-machine', `${board},accel=${accel}`, ...(model ? ['-cpu', model] : [])];
}

/** The machine itself: firmware, accelerator, memory, CPUs, kernel and initrd; shared by the VM and the KVM probe. */
export function machineArgs(
  plan: Pick<QemuPlan, 'arch' | 'firmwareDirs' | 'accel' | 'memory' | 'cpus' | 'kernel' | 'initrd'>,
): string[] {
  const args = [
    ...(plan.firmwareDirs ?? []).flatMap((d) => ['-L', d]),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    ...boardArgs(plan.arch, plan.accel),
    '-m',
    plan.memory,
    '-smp',
    String(plan.cpus),
    '-kernel',
    plan.kernel,
  ];
  if (plan.initrd) args.push('-initrd', plan.initrd);
  return args;
}

/**
 * The agent's channel, then KGDB's line when asked: the second and third
 * serial ports (ttyS1, ttyS2), or where the board has one serial port, a
 * virtio serial port named lab.agent and a 16550 on PCI (ttyS0).
 */
function channelDevices(arch: Arch, kgdb: boolean): string[] {
  const spec = archSpec(arch);
  const agent =
    spec.agentDevice === 'serial'
      ? ['-serial', 'chardev:agent']
      : ['-device', 'virtio-serial-pci,id=channels', '-device', `virtserialport,chardev=agent,name=${AGENT_PORT}`];
  if (!kgdb) return agent;
  const line = spec.kgdbDevice === 'serial' ? ['-serial', 'chardev:kgdb'] : ['-device', 'pci-serial,chardev=kgdb'];
  return [...agent, ...line];
}

/** A tiny boot under KVM whose console is stdout: it proves KVM works when the initramfs prints its ready line. */
export function kvmProbeArgs(boot: { arch: Arch; kernel: string; initrd: string; firmwareDirs?: string[] }): string[] {
  return [
    ...machineArgs({ ...boot, accel: 'kvm', memory: '256M', cpus: 1 }),
    '-append',
    [...baseKernelArgs(boot.arch), 'quiet'].join(' '),
    '-serial',
    'stdio',
    '-no-reboot',
  ];
}

export function qemuArgs(plan: QemuPlan): string[] {
  const args = machineArgs(plan);
  if (plan.disk) args.push('-drive', `file=${optionValue(plan.disk)},format=qcow2,if=virtio,node-name=${DISK_NODE}`);
  if (plan.momentsDisk) {
    const file = `file.driver=file,file.filename=${optionValue(plan.momentsDisk)}`;
    args.push('-blockdev', `driver=qcow2,node-name=${MOMENTS_NODE},${file}`);
  }
  if (plan.sshPort !== undefined)
    args.push('-nic', `user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:${plan.sshPort}-:22`);
  const kgdb =
    plan.kgdbPort !== undefined
      ? [`socket,id=kgdb,host=127.0.0.1,port=${plan.kgdbPort},server=on,wait=off`]
      : [];
  args.push(
    '-append',
    kernelCommandLine(plan),
    // the console (ttyS0, ttyAMA0): logged to a file and reachable by lab console
    '-chardev',
    `socket,id=console,path=${plan.consoleSocket},server=on,wait=off,logfile=${plan.serialLog},logappend=on`,
    '-serial',
    'chardev:console',
    '-chardev',
    `socket,id=agent,path=${plan.agentSocket},server=on,wait=off`,
    ...kgdb.flatMap((c) => ['-chardev', c]),
    ...channelDevices(plan.arch, plan.kgdbPort !== undefined),
    // the kernel writes its vmcoreinfo note here, so a dump-guest-memory core names its kernel
    '-device',
    'vmcoreinfo',
    '-gdb',
    `tcp:127.0.0.1:${plan.gdbPort}`,
    '-qmp',
    `unix:${plan.qmpSocket},server=on,wait=off`,
    '-pidfile',
    plan.pidFile,
    '-no-reboot',
    '-daemonize',
  );
  if (plan.icount) args.push('-icount', 'shift=0,sleep=off');
  if (plan.incomingFd !== undefined) args.push('-incoming', `fd:${plan.incomingFd}`);
  if (plan.loadvm) args.push('-loadvm', plan.loadvm);
  return args;
}

/**
 * A guest that runs debootstrap's second stage and powers off (pure): the
 * first stage's tree as its root disk, init the stage's script, the tree
 * written back as a tar on its second disk, the console to a file.
 */
export function secondStageArgs(boot: {
  arch: Arch;
  kernel: string;
  init: string;
  rootImage: string;
  outTar: string;
  consoleLog: string;
}): string[] {
  const disk = (id: string, file: string) => [
    '-drive',
    `file=${file},format=raw,if=none,id=${id}`,
    '-device',
    `virtio-blk-pci,drive=${id}`,
  ];
  return [
    ...machineArgs({ arch: boot.arch, accel: 'tcg', memory: '1G', cpus: 2, kernel: boot.kernel }),
    '-append',
    [`console=${archSpec(boot.arch).tty.console}`, 'root=/dev/vda', 'rw', `init=${boot.init}`, 'panic=-1'].join(' '),
    ...disk('root', boot.rootImage),
    ...disk('out', boot.outTar),
    '-serial',
    `file:${boot.consoleLog}`,
    '-no-reboot',
  ];
}
