import type { Accel } from '../qemu/args.js';
import type { Arch } from '../arch/arch.js';

/** What lab knows about the VM it started, persisted in .lab/state.json. */
export interface VmState {
  pid: number;
  qemu: string;
  qemuVersion: string;
  /** -L directories for a QEMU built without its own firmware */
  firmwareDirs: string[];
  accel: Accel;
  gdbPort: number;
  memory: string;
  cpus: number;
  startedAt: string;
  kernel: {
    bzImage: string;
    vmlinux: string;
    gdbScript: string;
    version: string;
    key: string;
    sourceTree?: string;
    /** The guest's architecture (x86_64 when a state written before arm64 names none). */
    arch?: Arch;
  };
  rootfs: { kind: string; file: string; key: string; channel: string };
  sockets: { console: string; agent: string; qmp: string };
  /** The Debian rootfs: ssh forwarded from 127.0.0.1, and the qcow2 overlay the VM writes to. */
  ssh?: { port: number; key: string; controlPath?: string };
  disk?: string;
  /** KGDB on its line (ttyS2, hvc1), served on this 127.0.0.1 port (lab up --kgdb). */
  kgdb?: { port: number };
  serialLog: string;
  profile: string;
  /**
   * How the guest started: booted, restored from the boot snapshot KEY, at a
   * named moment of the lab, or at a scenario's start moment from the store
   * (snapshot is then its key, savedAt when it was saved); and its machine
   * (the key its boot snapshot has, saved or not), which a named moment must
   * match to load.
   */
  start?: {
    from: 'boot' | 'snapshot' | 'moment' | 'start';
    snapshot?: string;
    moment?: string;
    machine?: string;
    savedAt?: string;
  };
}

/**
 * .lab/state.json as lab reads it back: every field a command uses, with its
 * type, so a damaged or hand-edited file is one STATE_CORRUPT line naming the
 * key, never a TypeError in the middle of lab status. Written out rather than
 * in zod: every guest command reads this file, and loading zod costs ~90 ms
 * of a lab exec that takes ~300 ms.
 */
type Check = (value: unknown) => string | undefined;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text: Check = (v) => (typeof v === 'string' ? undefined : 'expected a string');
const whole =
  (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? undefined : `expected ${min} to ${max}`;
const port = whole(1, 65535);
const oneOf =
  (...allowed: string[]): Check =>
  (v) =>
    allowed.includes(v as string) ? undefined : `expected ${allowed.join(' or ')}`;
const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined ? undefined : check(v);
const list =
  (check: Check): Check =>
  (v) =>
    Array.isArray(v) ? v.map(check).find((p) => p !== undefined) : 'expected a list';
const object = (shape: Record<string, Check>): Check => {
  const check: Check = (v) => {
    if (!isRecord(v)) return 'expected an object';
    for (const [key, field] of Object.entries(shape)) {
      const problem = field(v[key]);
      if (problem !== undefined) return `${key}: ${v[key] === undefined ? 'missing' : problem}`;
    }
    return undefined;
  };
  return check;
};

const VM_STATE = object({
  pid: whole(2),
  qemu: text,
  qemuVersion: text,
  firmwareDirs: optional(list(text)),
  accel: oneOf('kvm', 'tcg'),
  gdbPort: port,
  memory: text,
  cpus: whole(1),
  startedAt: text,
  kernel: object({
    bzImage: text,
    vmlinux: text,
    gdbScript: text,
    version: text,
    key: text,
    sourceTree: optional(text),
    arch: optional(oneOf('x86_64', 'arm64')),
  }),
  rootfs: object({ kind: text, file: text, key: text, channel: text }),
  sockets: object({ console: text, agent: text, qmp: text }),
  ssh: optional(object({ port, key: text, controlPath: optional(text) })),
  disk: optional(text),
  kgdb: optional(object({ port })),
  serialLog: text,
  profile: text,
  start: optional(
    object({
      from: oneOf('boot', 'snapshot', 'moment', 'start'),
      snapshot: optional(text),
      moment: optional(text),
      machine: optional(text),
      savedAt: optional(text),
    }),
  ),
});

/** What is wrong with a parsed state.json, as "key: problem", or undefined when it is a VmState (pure). */
export function vmStateProblem(value: unknown): string | undefined {
  return VM_STATE(value);
}

/** Whether a parsed state.json is a VmState (firmwareDirs may be absent in an older one). */
export function isVmState(value: unknown): value is VmState {
  return vmStateProblem(value) === undefined;
}

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
