/**
 * The architectures lab builds and boots, as one table (pure): everything
 * that differs between an x86_64 and an arm64 lab (make's ARCH, the boot
 * image, the cross compiler, QEMU's machine, the guest's serial names, the
 * debugger) is a field here, so no other
 * module asks "which architecture?" with an if.
 */
import { LabError } from '../errors.js';

export const ARCHES = ['x86_64', 'arm64'] as const;
export type Arch = (typeof ARCHES)[number];

/** What kbuild builds for: ARCH=, and CROSS_COMPILE when the compiler is a cross one. */
export interface BuildTarget {
  arch: Arch;
  crossCompile?: string;
}

export interface ArchSpec {
  arch: Arch;
  /** make's ARCH= and the directory under arch/ in the kernel tree. */
  kernelArch: 'x86' | 'arm64';
  /** What `make ARCH=` is given: kbuild takes x86_64 for a 64-bit x86 build. */
  makeArch: 'x86_64' | 'arm64';
  /** Debian's name for it (dpkg --print-architecture). */
  debian: 'amd64' | 'arm64';
  /** uname -m, and the first word of its GNU triplet. */
  machine: 'x86_64' | 'aarch64';
  /** The kernel's boot image: its make target and where kbuild leaves it. */
  bootImage: { target: 'bzImage' | 'Image'; path: string };
  /**
   * Fragments merged after the profile's, for what this architecture's QEMU
   * board needs (none on x86_64: lab.config was written for it).
   */
  fragments: string[];
  /** Debian's cross compiler, when the host is another architecture: packages and CROSS_COMPILE. */
  cross: { packages: string[]; prefix: string };
  qemu: {
    binary: 'qemu-system-x86_64' | 'qemu-system-aarch64';
    /** Debian's package that has the binary, and install-deps.sh's purpose that installs it. */
    package: 'qemu-system-x86' | 'qemu-system-arm';
    purpose: 'qemu' | 'arm64';
    /** -machine's board and options, to which ",accel=" is added. */
    board: string;
    /** -cpu under TCG (none: the board's default) and under KVM. */
    cpu: { tcg?: string; kvm: string };
  };
  /** Kernel words that find QEMU's fw_cfg where no firmware table names it (a device tree does on arm64). */
  fwCfgArgs: string[];
  /** The guest's console, the agent's channel and KGDB's line, by their device names. */
  tty: { console: string; agent: string; kgdb: string };
  /**
   * How QEMU gives the guest its agent channel: a second serial port, or a
   * virtio serial port (not a virtio console: QEMU drops a console's bytes
   * when the host reads slower than the guest writes, and throttles a port's).
   */
  agentDevice: 'serial' | 'virtserialport';
  /**
   * How it gives KGDB its line: a third serial port, or a 16550 on PCI
   * (kgdboc polls the port with interrupts off; a virtio console's polled
   * I/O gave gdb packet errors, and the PL011 carries the console).
   */
  kgdbDevice: 'serial' | 'pci-serial';
  /** The rootfs kinds lab builds for it, the default first. */
  rootfsKinds: Array<'debian' | 'initramfs'>;
  /**
   * The rootfs a build gets unless --rootfs names one, whatever the profile
   * says; absent, the profile's.
   */
  defaultRootfs?: 'debian' | 'initramfs';
}

/** The name QEMU gives the agent's virtio port: the guest's init finds the port's device by it. */
export const AGENT_PORT = 'lab.agent';

const X86_64: ArchSpec = {
  arch: 'x86_64',
  kernelArch: 'x86',
  makeArch: 'x86_64',
  debian: 'amd64',
  machine: 'x86_64',
  bootImage: { target: 'bzImage', path: 'arch/x86/boot/bzImage' },
  fragments: [],
  cross: { packages: ['gcc-x86-64-linux-gnu', 'libc6-dev-amd64-cross'], prefix: 'x86_64-linux-gnu-' },
  qemu: {
    binary: 'qemu-system-x86_64',
    package: 'qemu-system-x86',
    purpose: 'qemu',
    board: 'pc',
    cpu: { kvm: 'host' },
  },
  // no ACPI in the lab's config: QEMU's fw_cfg at its x86 ports, DMA included (vmcoreinfo needs it)
  fwCfgArgs: ['qemu_fw_cfg.ioport=12@0x510:0:1:4'],
  tty: { console: 'ttyS0', agent: 'ttyS1', kgdb: 'ttyS2' },
  agentDevice: 'serial',
  kgdbDevice: 'serial',
  rootfsKinds: ['debian', 'initramfs'],
};

/**
 * QEMU's virt board has one PL011 (QEMU 10.0 adds a second): the console is
 * on it, the agent gets a virtio serial port, and KGDB a PCI 16550. GICv3 for more than 8
 * CPUs. Under TCG -cpu max, every feature QEMU emulates, with pointer authentication's cheap
 * implementation-defined hash (QEMU's own advice: QARMA costs most of a
 * TCG guest's time); host under KVM.
 */
const ARM64: ArchSpec = {
  arch: 'arm64',
  kernelArch: 'arm64',
  makeArch: 'arm64',
  debian: 'arm64',
  machine: 'aarch64',
  bootImage: { target: 'Image', path: 'arch/arm64/boot/Image' },
  fragments: ['arm64.config'],
  cross: { packages: ['gcc-aarch64-linux-gnu', 'libc6-dev-arm64-cross'], prefix: 'aarch64-linux-gnu-' },
  qemu: {
    binary: 'qemu-system-aarch64',
    package: 'qemu-system-arm',
    purpose: 'arm64',
    board: 'virt,gic-version=3',
    cpu: { tcg: 'max,pauth-impdef=on', kvm: 'host' },
  },
  // the board has no 16550 of its own: the PCI one is the first 8250 port
  // the agent's port is found by its name (image/initramfs/init): virtio numbers ports as it probes
  fwCfgArgs: [],
  tty: { console: 'ttyAMA0', agent: `virtio:${AGENT_PORT}`, kgdb: 'ttyS0' },
  agentDevice: 'virtserialport',
  kgdbDevice: 'pci-serial',
  rootfsKinds: ['initramfs', 'debian'],
  // on an x86_64 host the Debian image's second stage runs in a TCG guest, a quarter of an hour: asked for by name
  defaultRootfs: 'initramfs',
};

const SPECS: Record<Arch, ArchSpec> = { x86_64: X86_64, arm64: ARM64 };

export function archSpec(arch: Arch): ArchSpec {
  return SPECS[arch];
}

/** What people and tools call each architecture, mapped to lab's name. */
const ALIASES: Record<string, Arch> = {
  x86_64: 'x86_64',
  amd64: 'x86_64',
  x64: 'x86_64',
  arm64: 'arm64',
  aarch64: 'arm64',
};

/** The names --arch takes: lab's own, and Debian's and uname's for them. */
export const ARCH_NAMES = ['x86_64', 'arm64', 'amd64', 'aarch64'] as const;

/** An --arch value, or what Node calls the host (process.arch), as lab's name; one clear error otherwise. */
export function parseArch(value: string, what = '--arch'): Arch {
  const arch = ALIASES[value.toLowerCase()];
  if (!arch) {
    throw new LabError('BAD_ARCH', `${what} ${JSON.stringify(value)} is not an architecture lab builds`, {
      hint: `give ${ARCHES.join(' or ')}`,
    });
  }
  return arch;
}

/** The architecture of the machine lab runs on: the default target. */
export function hostArch(nodeArch: string = process.arch): Arch {
  return parseArch(nodeArch, "this machine's architecture");
}

/** The gdb that debugs an `arch` kernel here: the host's own for its architecture, else gdb-multiarch. */
export function debuggerFor(arch: Arch, host: Arch = hostArch()): 'gdb' | 'gdb-multiarch' {
  return arch === host ? 'gdb' : 'gdb-multiarch';
}

/** CROSS_COMPILE for building `target` on `host`: none when they are the same. */
export function crossPrefix(target: Arch, host: Arch = hostArch()): string | undefined {
  return target === host ? undefined : archSpec(target).cross.prefix;
}

/**
 * The rootfs to build for the architecture (pure): the one asked for, or
 * where the profile's default is not built for it, the architecture's own.
 */
export function rootfsFor(arch: Arch, wanted: 'debian' | 'initramfs', explicit: boolean): 'debian' | 'initramfs' {
  const { rootfsKinds: kinds, defaultRootfs } = archSpec(arch);
  if (!explicit && defaultRootfs) return defaultRootfs;
  if (kinds.includes(wanted)) return wanted;
  if (!explicit) return kinds[0]!;
  throw new LabError('BAD_OPTION', `lab does not build the ${wanted} rootfs for ${arch} yet`, {
    hint: `use --rootfs ${kinds.join(' or ')}`,
  });
}
