/**
 * The QEMU command line, built as data (pure, so it is tested as a list).
 * Every port is on 127.0.0.1 and every other channel is a unix socket.
 */
export type Accel = 'kvm' | 'tcg';

export interface QemuPlan {
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
}

/** The guest's serial port that KGDB talks on: ttyS0 is the console, ttyS1 lab's agent. */
export const KGDB_TTY = 'ttyS2';

/** The kernel command-line words that put KGDB on its serial port. */
export function kgdbKernelArgs(): string[] {
  return [`kgdboc=${KGDB_TTY},115200`];
}

export const BASE_KERNEL_ARGS = ['console=ttyS0', 'nokaslr', 'panic=-1', 'loglevel=7'];

export function kernelCommandLine(plan: Pick<QemuPlan, 'append'>): string {
  return [...BASE_KERNEL_ARGS, ...(plan.append ?? [])].join(' ');
}

/** The machine itself: firmware, accelerator, memory, CPUs, kernel and initrd; shared by the VM and the KVM probe. */
export function machineArgs(
  plan: Pick<QemuPlan, 'firmwareDirs' | 'accel' | 'memory' | 'cpus' | 'kernel' | 'initrd'>,
): string[] {
  const args = [
    ...(plan.firmwareDirs ?? []).flatMap((d) => ['-L', d]),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-machine',
    `pc,accel=${plan.accel}`,
    '-m',
    plan.memory,
    '-smp',
    String(plan.cpus),
    '-kernel',
    plan.kernel,
  ];
  if (plan.accel === 'kvm') args.push('-cpu', 'host');
  if (plan.initrd) args.push('-initrd', plan.initrd);
  return args;
}

/** A tiny boot under KVM whose console is stdout: it proves KVM works when the initramfs prints its ready line. */
export function kvmProbeArgs(boot: { kernel: string; initrd: string; firmwareDirs?: string[] }): string[] {
  return [
    ...machineArgs({ ...boot, accel: 'kvm', memory: '256M', cpus: 1 }),
    '-append',
    [...BASE_KERNEL_ARGS, 'quiet'].join(' '),
    '-serial',
    'stdio',
    '-no-reboot',
  ];
}

export function qemuArgs(plan: QemuPlan): string[] {
  const args = machineArgs(plan);
  if (plan.disk) args.push('-drive', `file=${plan.disk},format=qcow2,if=virtio`);
  if (plan.sshPort !== undefined)
    args.push('-nic', `user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:${plan.sshPort}-:22`);
  args.push(
    '-append',
    kernelCommandLine(plan),
    // ttyS0: the console, logged to a file and reachable by lab console
    '-chardev',
    `socket,id=console,path=${plan.consoleSocket},server=on,wait=off,logfile=${plan.serialLog},logappend=on`,
    '-serial',
    'chardev:console',
    // ttyS1: the guest agent's channel for lab exec
    '-chardev',
    `socket,id=agent,path=${plan.agentSocket},server=on,wait=off`,
    '-serial',
    'chardev:agent',
    // ttyS2: KGDB's own line, when asked for
    ...(plan.kgdbPort !== undefined
      ? [
          '-chardev',
          `socket,id=kgdb,host=127.0.0.1,port=${plan.kgdbPort},server=on,wait=off`,
          '-serial',
          'chardev:kgdb',
        ]
      : []),
    '-gdb',
    `tcp:127.0.0.1:${plan.gdbPort}`,
    '-qmp',
    `unix:${plan.qmpSocket},server=on,wait=off`,
    '-pidfile',
    plan.pidFile,
    '-no-reboot',
    '-daemonize',
  );
  return args;
}
