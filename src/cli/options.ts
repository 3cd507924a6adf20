import { ARCH_NAMES } from '../arch/arch.js';
import type { Argv } from 'yargs';
import { TRIGGERS, type Trigger } from '../config/triggers.js';
import { SNAPSHOT_KINDS } from '../gdb/gdb-command.js';
import { ROOTFS_KINDS } from '../image/rootfs-kinds.js';
import { TOOLCHAIN_KINDS } from '../toolchain/toolchain.js';

/** The options every command takes: they shape the CLI context, not a use case's flags. */
export function globalOptions<T>(y: Argv<T>) {
  return y
    .option('lab-dir', { type: 'string', describe: 'the lab directory (default ./.lab)', global: true })
    .option('lab', {
      type: 'string',
      describe: 'the lab.json to use (default ./lab.json when there is one)',
      global: true,
    })
    .option('json', { type: 'boolean', default: false, describe: 'machine-readable output on stdout', global: true })
    .option('report', {
      type: 'boolean',
      default: true,
      describe: 'write report.html at the end of debug, trace and run (--no-report: do not)',
      global: true,
    });
}

/** The global options as yargs parses them. */
export type GlobalArgs = typeof globalOptions<object> extends (y: Argv<object>) => Argv<infer G> ? G : never;

export function buildOptions<T>(y: Argv<T>) {
  return y
    .option('profile', {
      type: 'string',
      describe:
        'lab profile (6.6, debian) or a profile file; without it, ' +
        'LAB_PROFILE or 6.6, falling back to debian when unreachable',
    })
    .option('kernel-source', {
      type: 'string',
      describe: 'kernel source: a tarball, a directory, or an https URL (with --kernel-sha256)',
    })
    .option('kernel-sha256', { type: 'string', describe: 'sha256 of --kernel-source' })
    .option('config', {
      type: 'string',
      describe: 'your full kernel .config as the base; the lab fragment is enforced on top',
    })
    .option('base', {
      choices: ['tinyconfig', 'defconfig'] as const,
      describe: 'base config when no --config is given',
    })
    .option('fragment', { type: 'string', array: true, describe: "config fragments to merge (default: the profile's)" })
    .option('qemu', {
      type: 'string',
      describe: '"system", "build" (the profile\'s QEMU source), or the path of a qemu-system-x86_64',
    })
    .option('qemu-build', {
      type: 'boolean',
      describe: "build the profile's QEMU from source (debian: Debian's 7.2 orig tarball)",
    })
    .option('rootfs', {
      choices: ROOTFS_KINDS,
      describe: "debian: a debootstrap image with ssh (the profiles' default); initramfs: busybox, boots in a second",
    })
    .option('modules', { type: 'boolean', describe: 'build and keep the kernel modules too' })
    .option('arch', {
      choices: ARCH_NAMES,
      describe: "the guest's architecture (aarch64 is arm64, amd64 x86_64); default the profile's, else this machine's",
    })
    .option(...toolchainOption)
    .option(...cacheOption);
}

/** --no-cache, for build, demo and verify: build what the store lacks instead of fetching it. */
export const cacheOption = [
  'cache',
  {
    type: 'boolean',
    describe: 'fetch what lab.lock pins from the class cache lab.json names (--no-cache: build it here)',
  },
] as const;

/** --toolchain, for build, demo, lock and verify. */
export const toolchainOption = [
  'toolchain',
  {
    choices: TOOLCHAIN_KINDS,
    describe:
      "root (default): compile in lab's pinned Debian build root, the same bytes on every host; " +
      "host: this machine's gcc (your own kernel work; outputs will not match lab.lock)",
  },
] as const;

export function upOptions<T>(y: Argv<T>) {
  return y
    .option('memory', { type: 'string', default: '2G', describe: 'guest memory' })
    .option('cpus', { type: 'number', default: 2, describe: 'guest CPUs' })
    .option('gdb-port', { type: 'number', default: 4321, describe: 'gdbstub port on 127.0.0.1' })
    .option('accel', {
      choices: ['auto', 'kvm', 'tcg'] as const,
      default: 'auto' as const,
      describe: 'auto probes KVM and falls back to TCG',
    })
    .option('boot-timeout', { type: 'number', default: 120, describe: 'seconds to wait for the guest' })
    .option('fresh', {
      type: 'boolean',
      default: false,
      describe: 'discard the Debian rootfs overlay and start from the stored image',
    })
    .option('boot', {
      type: 'boolean',
      default: false,
      describe: "boot the kernel, even where this VM's boot snapshot could be restored in a second",
    })
    .option('append', { type: 'string', array: true, describe: 'extra kernel command-line words' })
    .option('ssh-port', {
      type: 'number',
      describe: "127.0.0.1 port forwarded to the guest's ssh (default: a free one)",
    })
    .option('kgdb', {
      type: 'boolean',
      describe: 'KGDB on a third serial port (kgdboc=ttyS2), served on 127.0.0.1: lab gdb --kgdb, lab debug --via kgdb',
    })
    .option('kgdb-port', { type: 'number', describe: '127.0.0.1 port for KGDB (default: a free one); implies --kgdb' })
    .option('deterministic', {
      type: 'boolean',
      describe: "QEMU's -icount (shift=0, sleep=off): the guest's time counts its instructions, not the host's (TCG)",
    });
}

export function debugOptions<T>(y: Argv<T>) {
  return y
    .option('break', {
      type: 'string',
      array: true,
      describe: 'FUNCTION or FILE:LINE, either with "if CONDITION" (repeatable)',
    })
    .option('exercise', {
      type: 'string',
      describe: 'a debug exercise of lab.json: its breakpoints, captures, trigger and count',
    })
    .option('capture', {
      type: 'string',
      array: true,
      describe: 'an expression recorded at every hit, in frame 0: cc->order (repeatable)',
    })
    .option('args', { type: 'boolean', describe: "record every frame's arguments where DWARF has them" })
    .option('snapshot', {
      choices: SNAPSHOT_KINDS,
      array: true,
      describe:
        'the allocator (lab-buddy, lab-pageblocks, lab-zone) ' +
        'recorded at the first hit and at the end into snapshots.jsonl',
    })
    .option('snapshot-every', {
      type: 'boolean',
      describe: 'take the --snapshot at every hit (slow: each walks the free lists)',
    })
    .option('engine', {
      choices: ['gdb', 'guest'] as const,
      default: 'gdb' as const,
      describe:
        "gdb: QEMU's gdbstub stops the VM at every hit; guest: kprobe " +
        'events record every hit inside the kernel, symbolised on the host',
    })
    .option('buffer-kb', { type: 'number', describe: `--engine guest: the ring buffer per CPU, KiB (default 16384)` })
    .option('via', {
      choices: ['gdbstub', 'kgdb'] as const,
      default: 'gdbstub' as const,
      describe: "QEMU's gdbstub, or the kernel's own KGDB (lab up --kgdb)",
    })
    .option('max-per-break', {
      type: 'number',
      describe: 'stop recording one breakpoint after this many hits; the others go on',
    })
    .option('count', {
      type: 'number',
      default: 10,
      describe: 'stop after this many hits in total (0: no limit; with a trigger, every hit until it exits)',
    })
    .option('timeout', { type: 'number', default: 60, describe: 'stop after this many seconds' })
    .option('trigger', {
      choices: Object.keys(TRIGGERS) as Trigger[],
      describe:
        'run once the breakpoints are armed: compact writes 1 to ' +
        '/proc/sys/vm/compact_memory; or give any guest command after --',
    });
}
