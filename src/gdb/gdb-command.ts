import path from 'node:path';
import { projectRoot } from '../config/paths.js';
import type { Command } from '../process/command.js';

export const RECORDER_SCRIPT = 'lab_recorder.py';

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
  source_tree?: string;
}

/**
 * The gdb invocation: batch mode, no init files, the kernel's own gdb helpers
 * (vmlinux-gdb.py beside vmlinux) allowed to auto-load, then the recorder.
 */
export function gdbArgs(vmlinux: string, recorder = path.join(projectRoot(), 'gdb-scripts', RECORDER_SCRIPT)): string[] {
  return [
    '-nx',
    '-q',
    '-batch',
    '-iex', `add-auto-load-safe-path ${path.dirname(vmlinux)}`,
    '-ex', 'set pagination off',
    '-x', recorder,
    vmlinux,
  ];
}

/** gdb with the recorder, configured by the JSON file it reads from LAB_RECORDER_CONFIG. */
export function gdbRecorderCommand(vmlinux: string, configFile: string): Command {
  return { program: 'gdb', args: gdbArgs(vmlinux), env: { LAB_RECORDER_CONFIG: configFile }, what: 'gdb with the recorder' };
}
