import { z } from 'zod';

const text = z.string();
const port = z.number().int().min(1).max(65535);

/**
 * .lab/state.json as lab reads it back: every field a command uses, with its
 * type, so a damaged or hand-edited file is one STATE_CORRUPT line naming the
 * key, never a TypeError in the middle of lab status.
 */
export const VmStateSchema = z.object({
  pid: z.number().int().min(2),
  qemu: text,
  qemuVersion: text,
  firmwareDirs: z.array(text).default([]),
  accel: z.enum(['kvm', 'tcg']),
  gdbPort: port,
  memory: text,
  cpus: z.number().int().min(1),
  startedAt: text,
  kernel: z.object({
    bzImage: text,
    vmlinux: text,
    gdbScript: text,
    version: text,
    key: text,
    sourceTree: text.optional(),
  }),
  rootfs: z.object({ kind: text, file: text, key: text, channel: text }),
  sockets: z.object({ console: text, agent: text, qmp: text }),
  ssh: z.object({ port, key: text, controlPath: text.optional() }).optional(),
  disk: text.optional(),
  kgdb: z.object({ port }).optional(),
  serialLog: text,
  profile: text,
});

/**
 * Whether a process's command line (/proc/PID/cmdline: NUL-separated) is the
 * QEMU this lab directory started (pure): a qemu-system binary serving QMP on
 * this lab's own socket. A pid alone proves nothing: pids are reused, and a
 * state file may name any process.
 */
export function isLabQemuCmdline(cmdline: string, qmpSocket: string): boolean {
  const args = cmdline.split('\0');
  const program = args[0]?.split('/').pop() ?? '';
  return program.startsWith('qemu-system') && args.some((a) => a.startsWith(`unix:${qmpSocket},`));
}
