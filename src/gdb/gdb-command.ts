import path from 'node:path';
import { projectRoot } from '../config/paths.js';
import type { Command } from '../process/command.js';

export const RECORDER_SCRIPT = 'lab_recorder.py';

export interface RecorderConfig {
  breakpoints: string[];
  host: '127.0.0.1';
  port: number;
  count: number;
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

/** An event the recorder printed ("@lab-event {...}"), or undefined for gdb's own output. */
export function parseRecorderEvent(line: string): { event: string; [k: string]: unknown } | undefined {
  if (!line.startsWith('@lab-event ')) return undefined;
  try {
    return JSON.parse(line.slice('@lab-event '.length));
  } catch {
    return undefined;
  }
}
