/**
 * Every error a user can act on, in one table: its code (stable, for --json
 * and tests), its kind, which decides the exit status, and the hint shown
 * when the throw gives none. The CLI prints an error as one line, "message:
 * hint". Anything that is not a LabError is a bug: it keeps its stack and
 * exits 70.
 */
export type ErrorKind =
  'failed' | 'usage' | 'dependency' | 'not-built' | 'vm-state' | 'guest' | 'interrupted' | 'internal';

export const EXIT_CODES: Record<ErrorKind, number> = {
  failed: 1,
  usage: 2,
  dependency: 3,
  'not-built': 4,
  'vm-state': 5,
  guest: 6,
  interrupted: 130,
  internal: 70,
};

interface ErrorSpec {
  kind: ErrorKind;
  hint?: string;
}

export const ERROR_TABLE = {
  // what the user asked for is malformed or names nothing
  BAD_OPTION: { kind: 'usage', hint: 'see lab --help' },
  BAD_COPY: { kind: 'usage', hint: 'lab cp FILE guest:/root/ or lab cp guest:/proc/vmstat ./' },
  BAD_COUNT: { kind: 'usage', hint: 'give 0 (no limit) or more' },
  BAD_CPUS: { kind: 'usage', hint: 'give 1 to 64' },
  BAD_EVENT: { kind: 'usage', hint: 'e.g. compaction or migrate:mm_migrate_pages' },
  BAD_MEMORY: { kind: 'usage', hint: 'give e.g. 2G or 2048M' },
  BAD_SIZE: { kind: 'usage', hint: 'give a whole number of MiB from 1 to 1024, e.g. --max-size 128' },
  BAD_PORT: { kind: 'usage', hint: 'give 1 to 65535' },
  BAD_TIMEOUT: { kind: 'usage', hint: 'give a positive number' },
  BAD_TRACE: { kind: 'usage', hint: 'see lab trace --help' },
  BAD_SHA256: { kind: 'usage', hint: 'give 64 lowercase hex digits' },
  BAD_ARCH: { kind: 'usage', hint: 'give x86_64 or arm64' },
  BAD_URL: { kind: 'usage', hint: 'give an https URL with a host name and no spaces' },
  SHA256_REQUIRED: { kind: 'usage', hint: 'add --kernel-sha256 <hex>: downloads are verified before use' },
  CONFIG_MISSING: { kind: 'usage', hint: 'give a kernel .config file' },
  FRAGMENT_MISSING: { kind: 'usage', hint: 'check the profile or --fragment' },
  NO_BREAKPOINTS: { kind: 'usage', hint: 'name a function, e.g. --break compact_zone' },
  UNKNOWN_BREAKPOINT: { kind: 'usage', hint: 'nothing was attached; check the spelling or pick a closest name' },
  NO_COMMAND: { kind: 'usage', hint: 'lab exec -- CMD ARG...' },
  NO_TRACE_SPAN: { kind: 'usage', hint: 'give --duration SECONDS or -- CMD ARG... to run in the guest' },
  NOT_A_TTY: { kind: 'usage', hint: 'run it in a terminal' },
  PATH_TOO_LONG: { kind: 'usage', hint: 'use a shorter --lab-dir' },
  PROFILE_UNKNOWN: { kind: 'usage', hint: "name one of lab's profiles, or give the path of a profile file" },
  PROFILE_INVALID: { kind: 'usage', hint: 'fix the profile' },
  RECIPE_UNKNOWN: { kind: 'usage', hint: 'use a QEMU version lab has a recipe for' },
  RECIPE_INVALID: { kind: 'usage', hint: 'fix the recipe' },
  SCENARIO_UNKNOWN: { kind: 'usage', hint: 'lab run --list' },
  SCENARIO_INVALID: { kind: 'usage', hint: 'fix the scenario' },
  SOURCE_MISSING: {
    kind: 'usage',
    hint: 'give a kernel tarball, a source directory, or an https URL with --kernel-sha256',
  },
  SOURCE_KIND: { kind: 'usage', hint: 'give a .tar.xz' },
  SOURCE_NOT_PRISTINE: { kind: 'usage', hint: 'run "make mrproper" in it first: lab builds it out of tree (O=)' },
  NO_QEMU_SOURCE: { kind: 'usage', hint: 'use --qemu system or a path' },
  QEMU_MISSING: { kind: 'usage', hint: 'give "system" or the path of a qemu-system-x86_64' },
  LAB_FILE_INVALID: { kind: 'usage', hint: 'fix lab.json' },
  LAB_FILE_MISSING: { kind: 'usage', hint: 'give the path of a lab.json, or run lab init' },
  LAB_FILE_EXISTS: { kind: 'usage', hint: 'pass --force to overwrite it' },
  NO_LAB_FILE: { kind: 'usage', hint: 'run it where lab.json is, pass --lab FILE, or lab init' },
  EXERCISE_UNKNOWN: { kind: 'usage', hint: 'choose an exercise lab.json lists' },
  LOCK_MISSING: { kind: 'usage', hint: 'the teacher runs lab lock and publishes lab.lock beside lab.json' },
  LOCK_INVALID: { kind: 'usage', hint: 'fetch lab.lock again, or run lab lock' },
  RUN_UNKNOWN: { kind: 'usage', hint: 'see .lab/runs for the runs there are' },
  RUN_DAMAGED: { kind: 'failed', hint: "the run's files were changed or cut short; run it again" },
  RUN_TOO_BIG: { kind: 'failed', hint: 'record a shorter run (lab debug --count, --max-per-break)' },
  NO_RUNS: { kind: 'usage', hint: 'record a run first (lab demo, lab debug, lab run)' },
  BUNDLE_MISSING: { kind: 'usage', hint: 'give the .tar.gz that lab pack wrote' },
  VMLINUX_MISMATCH: { kind: 'usage', hint: 'pass the vmlinux of the class (lab build beside lab.lock writes it)' },
  MATRIX_UNKNOWN: { kind: 'usage', hint: 'give the path of a matrix spec file' },
  MATRIX_INVALID: { kind: 'usage', hint: 'fix the matrix spec' },
  MATRIX_NOT_PREPARED: { kind: 'usage', hint: 'run lab matrix SPEC (or its build step) first' },
  JOB_INVALID: { kind: 'usage', hint: 'give a job file that lab matrix wrote' },
  JOB_PIN_MISMATCH: {
    kind: 'failed',
    hint: 'this machine builds something other than what the job pins: rebuild the matrix here, or align the toolchain',
  },
  BAD_JOBS: { kind: 'usage', hint: 'give --jobs 1 or more' },
  SLURM_MISSING: { kind: 'dependency', hint: 'install Slurm (sbatch, sacct), or run the matrix here without --slurm' },
  SLURM_FAILED: { kind: 'failed', hint: 'see the sbatch or sacct message' },
  BUILD_ROOT_DRIFT: {
    kind: 'failed',
    hint:
      'Debian released a point release since lab.lock was made: ask the teacher for a new lab.lock, ' +
      'or build with --toolchain host (outputs will not match)',
  },

  SECOND_STAGE_FAILED: {
    kind: 'failed',
    hint: "see the guest's console log it names: the second stage runs the packages' own scripts",
  },

  STORE_DAMAGED: { kind: 'failed', hint: 'remove that entry from the store (lab makes it again)' },
  STORE_LOCK_INVALID: { kind: 'failed', hint: 'remove it: lab makes its lock files itself' },

  // something lab needs on the host is not installed
  TOOL_MISSING: { kind: 'dependency', hint: 'run lab doctor to see what to install' },
  SOURCE_PACKAGE_MISSING: { kind: 'dependency', hint: 'run lab doctor to see what to install' },
  FIRMWARE_MISSING: { kind: 'dependency', hint: 'run lab doctor --qemu-build to see what to install' },
  BUSYBOX_DYNAMIC: { kind: 'dependency', hint: 'apt-get install busybox-static' },
  BUSYBOX_ARCH: { kind: 'dependency', hint: "build in lab's build root (--toolchain root)" },
  USERNS_UNAVAILABLE: { kind: 'dependency', hint: 'run lab as root, or build with --toolchain host' },

  // nothing built yet, or the record of it is unreadable
  NOT_BUILT: { kind: 'not-built', hint: 'run lab build first' },
  BUILD_RECORD_CORRUPT: { kind: 'not-built', hint: 'run lab build again: it rewrites the record from the store' },

  // the VM is not in the state the command needs
  VM_RUNNING: { kind: 'vm-state', hint: 'stop it with lab down first' },
  VM_NOT_RUNNING: { kind: 'vm-state', hint: 'start one with lab up' },
  STATE_CORRUPT: { kind: 'vm-state', hint: 'lab down stops what the pid file names and clears the state' },
  PORT_IN_USE: { kind: 'vm-state', hint: 'pass --gdb-port with a free port' },
  QEMU_FAILED: { kind: 'vm-state', hint: 'see the QEMU message' },
  BOOT_FAILED: { kind: 'vm-state', hint: 'read the serial log: lab up --append can change the command line' },
  BOOT_TIMEOUT: { kind: 'vm-state', hint: 'raise --boot-timeout, or read the serial log' },
  QMP_TIMEOUT: { kind: 'vm-state', hint: 'is QEMU hung? lab down kills it' },
  QMP_FAILED: { kind: 'vm-state', hint: 'see lab status' },
  SNAPSHOT_FAILED: { kind: 'vm-state', hint: 'lab up --boot boots without the snapshot' },
  DUMP_FAILED: { kind: 'failed', hint: 'nothing was kept; the guest runs on' },
  DISK_FAILED: { kind: 'vm-state', hint: 'apt-get install qemu-utils' },
  GDB_CONNECT_FAILED: { kind: 'vm-state', hint: 'is the VM running? see lab status' },
  NO_SSH: { kind: 'vm-state', hint: 'use lab exec or lab console, or lab build --rootfs debian' },
  SCENARIO_ROOTFS: { kind: 'vm-state', hint: 'build and boot the rootfs the scenario names' },

  // the guest did not do what was asked
  GUEST_TIMEOUT: { kind: 'guest', hint: 'is the guest stopped at a breakpoint? see lab status' },
  GUEST_UNREACHABLE: { kind: 'guest', hint: 'is the VM up and ready? see lab status' },
  GUEST_GONE: { kind: 'guest', hint: 'is the VM still running? see lab status' },
  COPY_FAILED: { kind: 'guest', hint: 'does the path exist in the guest?' },
  TRACE_SETUP: {
    kind: 'guest',
    hint: 'check the filter, function and event names against available_filter_functions and available_events',
  },
  ENGINE_SETUP: {
    kind: 'guest',
    hint: 'is the kernel built with CONFIG_KPROBE_EVENTS? lab build with the lab fragment has it; or use --engine gdb',
  },
  TRACE_READ: { kind: 'guest', hint: 'is tracefs mounted in the guest?' },
  SETTING_MISSING: { kind: 'guest', hint: 'is the kernel built with it?' },
  SETTING_FAILED: { kind: 'guest', hint: 'check the value against what the file accepts' },
  NO_TASK: { kind: 'guest', hint: 'is the task running in the guest? lab exec -- ps -e' },
  GUEST_STEP_FAILED: { kind: 'guest', hint: 'see the step output in the run directory' },

  // a step lab ran failed
  STEP_FAILED: { kind: 'failed', hint: 'see the log' },
  FETCH_FAILED: { kind: 'failed', hint: 'check the network, or give a local --kernel-source' },
  SHA256_MISMATCH: { kind: 'failed', hint: 'check the file, the URL and the pinned sha256' },
  CONFIG_UNMET: { kind: 'failed', hint: 'enable what they depend on in your config or fragment' },
  BUILD_INCOMPLETE: { kind: 'failed', hint: 'see the build log' },
  SOURCE_INVALID: { kind: 'failed', hint: 'give a tarball of a kernel source tree' },
  GDB_FAILED: { kind: 'failed', hint: 'see gdb.log in the run directory' },
  RECORDER_FAILED: { kind: 'failed', hint: 'see gdb.log in the run directory' },
  HITS_CORRUPT: { kind: 'failed', hint: 'the recording is damaged; record it again' },
  LOCK_DIFFERS: { kind: 'failed', hint: 'see the items marked "different"' },
  BUNDLE_REFUSED: { kind: 'failed', hint: 'ask for a bundle written by lab pack' },
  CHECK_FAILED: { kind: 'failed', hint: 'see the rows marked "fail"' },
  DEB_INVALID: { kind: 'failed', hint: 'check the package URL and its sha256' },
  CACHE_REFUSED: { kind: 'failed', hint: 'lab builds the entry instead; tell the teacher the class cache is damaged' },
  CACHE_UNREACHABLE: { kind: 'failed', hint: 'lab builds the entry instead; check the "cache" lab.json names' },

  INTERRUPTED: { kind: 'interrupted' },
  INTERNAL: { kind: 'internal' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export class LabError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LabError';
    this.code = code;
    const spec: ErrorSpec = ERROR_TABLE[code];
    this.hint = options.hint ?? spec.hint;
  }

  get kind(): ErrorKind {
    return ERROR_TABLE[this.code].kind;
  }

  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }

  /** The one line shown to the user. */
  line(): string {
    return this.hint ? `${this.message}: ${this.hint}` : this.message;
  }
}

export class InterruptedError extends LabError {
  constructor(what: string) {
    super('INTERRUPTED', `${what} interrupted`);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The error to report when cleaning up after a failure failed too: the
 * original one, still itself (code, exit status), with the second appended,
 * so a restore in `finally` never hides what went wrong first.
 */
export function withSecondError(first: unknown, second: unknown, during: string): unknown {
  const also = `; ${during} failed too: ${messageOf(second)}`;
  if (first instanceof LabError) {
    const combined = new LabError(first.code, first.message + also, { hint: first.hint, cause: first });
    return combined;
  }
  if (first instanceof Error) {
    first.message += also;
    return first;
  }
  return new Error(messageOf(first) + also);
}

/**
 * Runs body, then cleanup whatever happens. A cleanup error after a body error
 * is reported with it; a cleanup error after success is thrown itself.
 */
export async function withCleanup<T>(body: () => Promise<T>, cleanup: () => Promise<void>, during: string): Promise<T> {
  let result: T;
  try {
    result = await body();
  } catch (err) {
    try {
      await cleanup();
    } catch (cleanupErr) {
      throw withSecondError(err, cleanupErr, during);
    }
    throw err;
  }
  await cleanup();
  return result;
}
