import path from 'node:path';
import { projectRoot } from '../config/paths.js';
import { SOURCE_PREFIX } from '../kernel/plan.js';
import type { Command } from '../process/command.js';
import type { BreakpointRequest } from './breakpoint-spec.js';
import { debuggerFor, parseArch, type Arch } from '../arch/arch.js';
import { elfMachineOfFile } from '../util/elf.js';

export const RECORDER_SCRIPT = 'lab_recorder.py';

/** The architecture a vmlinux is for, which decides the gdb that reads it. */
export async function vmlinuxArch(vmlinux: string): Promise<Arch> {
  return parseArch(await elfMachineOfFile(vmlinux), vmlinux);
}

/** A gdb command run by the gdb for an `arch` kernel: gdb-multiarch when it is not this machine's. */
export function onDebugger(command: Command, arch: Arch): Command {
  return { ...command, program: debuggerFor(arch) };
}

/** The recorder's configuration file (gdb-scripts/lab_gdb/recorder.py reads it). */
export interface RecorderConfig {
  breakpoints: Array<{ spec: string; location: string; condition: string | null }>;
  /** What gdb's "target remote" takes: 127.0.0.1:PORT, or a KGDB serial port. */
  target: string;
  count: number;
  max_per_break: number;
  captures: string[];
  args: boolean;
  hits: string;
  /** Allocator pictures taken at the first hit and at the end (or at every hit), into snapshots_file. */
  snapshots: SnapshotKind[];
  snapshot_every: boolean;
  snapshots_file: string;
  source_tree?: string;
  /** Exists once lab wants the recording to end: the next hit stops there, and gdb detaches. */
  stop_file: string;
  /** gdbstub: threads are vCPUs; kgdb: threads are tasks. */
  via: 'gdbstub' | 'kgdb';
}

export const SNAPSHOT_KINDS = ['buddy', 'pageblocks', 'zone'] as const;
export type SnapshotKind = (typeof SNAPSHOT_KINDS)[number];

/**
 * The gdb invocation: batch mode, no init files, the kernel's own gdb helpers
 * (vmlinux-gdb.py beside vmlinux) allowed to auto-load, then the recorder.
 */
export function gdbArgs(
  vmlinux: string,
  recorder = path.join(projectRoot(), 'gdb-scripts', RECORDER_SCRIPT),
  sourceTree?: string,
): string[] {
  return [
    '-nx',
    '-q',
    '-batch',
    '-iex',
    `add-auto-load-safe-path ${path.dirname(vmlinux)}`,
    ...sourceMapArgs(sourceTree),
    '-ex',
    'set pagination off',
    '-x',
    recorder,
    vmlinux,
  ];
}

/**
 * A gdb that only attaches and detaches: KGDB resumes the kernel (and drops
 * its breakpoints) on detach, which a killed gdb never sent.
 */
export function kgdbResumeCommand(vmlinux: string, target: string): Command {
  return {
    program: 'gdb',
    args: [
      '-nx',
      '-q',
      '-batch',
      '-ex',
      'set remotetimeout 10',
      '-ex',
      `target remote ${target}`,
      '-ex',
      'detach',
      vmlinux,
    ],
    what: 'resuming the kernel from KGDB',
  };
}

/**
 * A reproducible kernel's debug info names its sources under SOURCE_PREFIX;
 * gdb finds them in the store's tree (list, frame source lines).
 */
export function sourceMapArgs(sourceTree: string | undefined): string[] {
  return sourceTree ? ['-iex', `set substitute-path ${SOURCE_PREFIX} ${sourceTree}`] : [];
}

/** gdb with the recorder, configured by the JSON file it reads from LAB_RECORDER_CONFIG. */
export function gdbRecorderCommand(vmlinux: string, configFile: string, serial = false, sourceTree?: string): Command {
  const args = gdbArgs(vmlinux, undefined, sourceTree);
  // KGDB answers over an emulated UART: slower than QEMU's gdbstub
  if (serial) args.splice(args.indexOf('-x'), 0, '-ex', 'set remotetimeout 10');
  return { program: 'gdb', args, env: { LAB_RECORDER_CONFIG: configFile }, what: 'gdb with the recorder' };
}

export const COMMANDS_SCRIPT = 'lab_commands.py';

/**
 * An interactive gdb on the VM (pure): the kernel's gdb scripts auto-loaded
 * beside vmlinux, lab's allocator commands, attached to target, then the
 * user's own gdb arguments. quit detaches (a remote target is never killed),
 * so the VM runs on.
 */
export function interactiveGdbCommand(
  vmlinux: string,
  target: string,
  userArgs: string[] = [],
  scripts = path.join(projectRoot(), 'gdb-scripts'),
  sourceTree?: string,
): Command {
  return {
    program: 'gdb',
    args: [
      '-nx',
      '-q',
      '-iex',
      `add-auto-load-safe-path ${path.dirname(vmlinux)}`,
      ...sourceMapArgs(sourceTree),
      '-iex',
      'set pagination off',
      '-iex',
      'set confirm off',
      '-iex',
      'set width 0',
      '-x',
      path.join(scripts, COMMANDS_SCRIPT),
      '-ex',
      `target remote ${target}`,
      ...userArgs,
      vmlinux,
    ],
    what: 'gdb',
  };
}

/** A gdb command word's argument, quoted as gdb's argv splitting reads it back. */
function gdbWord(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * gdb holding the guest for lab dump (pure): attached, which stops it, or
 * stopped at the breakpoint's first hit; lab-hold prints LAB-HELD with
 * lab-buddy's view of that moment and keeps the guest stopped until lab
 * creates the release file; detach lets it run on.
 */
export function holdGdbCommand(
  vmlinux: string,
  target: string,
  hold: { release: string; seconds: number; at?: BreakpointRequest },
  sourceTree?: string,
): Command {
  const at = hold.at ? [hold.at.location, ...(hold.at.condition ? [hold.at.condition] : [])] : [];
  const words = [hold.release, String(hold.seconds), ...at].map(gdbWord).join(' ');
  const args = ['-batch', '-ex', `lab-hold ${words}`, '-ex', 'detach'];
  return { ...interactiveGdbCommand(vmlinux, target, args, undefined, sourceTree), what: 'gdb holding the guest' };
}
