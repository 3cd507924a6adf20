import { LabError } from '../errors.js';
import type { Guest } from '../guest/guest.js';

export interface BackgroundOutput {
  argv: string[];
  /** Where its output went in the guest. */
  out: string;
  output: string;
}

/** The guest's /bin/sh starts the job detached and prints its pid; argv arrives as words, never as a shell line. */
export function backgroundArgv(argv: string[], out: string): string[] {
  return ['sh', '-c', 'out=$1; shift; "$@" </dev/null >"$out" 2>&1 & echo $!', 'sh', out, ...argv];
}

/**
 * Waits in the guest, in one command, until the job's output has a line that
 * starts with "{" (the fragmenter's report once its memory is arranged):
 * exit 0 then, 1 on the timeout, 2 when the job ended without one.
 */
export function readyArgv(out: string, pid: number, timeoutSeconds: number): string[] {
  return [
    'sh',
    '-c',
    'out=$1 pid=$2 n=$3; until grep -q "^{" "$out" 2>/dev/null; do kill -0 "$pid" ' +
      '2>/dev/null || exit 2; n=$((n-1)); [ "$n" -gt 0 ] || exit 1; sleep 0.2; done',
    'sh',
    out,
    String(pid),
    String(Math.ceil(timeoutSeconds * 5)),
  ];
}

/**
 * Jobs a scenario leaves running in the guest while it goes on (the
 * fragmenter holding memory): started with their output in the run's own
 * guest directory, and all stopped at the end, their output collected.
 */
export class BackgroundJobs {
  private readonly jobs: Array<{ pid: number; argv: string[]; out: string }> = [];

  constructor(
    private readonly guest: Guest,
    private readonly guestDir: string,
  ) {}

  async start(argv: string[], signal?: AbortSignal): Promise<{ pid: number; out: string }> {
    if (!this.jobs.length) await this.guest.exec(['mkdir', '-p', this.guestDir], { timeoutMs: 60_000 });
    const out = `${this.guestDir}/bg-${this.jobs.length}.out`;
    const r = await this.guest.exec(backgroundArgv(argv, out), { signal, timeoutMs: 60_000 });
    const pid = Number(r.stdout.toString().trim());
    this.jobs.push({ pid, argv, out });
    return { pid, out };
  }

  /**
   * Waits until the job reports itself ready; a slow guest (TCG on a loaded host) waits longer, it never races ahead.
   */
  async ready(
    job: { pid: number; out: string },
    argv: string[],
    timeoutSeconds: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const r = await this.guest.exec(readyArgv(job.out, job.pid, timeoutSeconds), {
      signal,
      timeoutMs: (timeoutSeconds + 60) * 1000,
    });
    if (r.exitCode === 0) return;
    const output = await this.guest.exec(['cat', job.out], { timeoutMs: 60_000 }).catch(() => undefined);
    const last = output?.stdout.toString().trim().split('\n').at(-1) ?? '';
    const why = r.exitCode === 2 ? 'ended without reporting' : `reported nothing in ${timeoutSeconds} s`;
    throw new LabError('GUEST_STEP_FAILED', `${argv.join(' ')} ${why}${last ? `: ${last}` : ''}`);
  }

  /** Kills every job and reads what it printed; a job that is already gone is not an error. */
  async stopAll(): Promise<BackgroundOutput[]> {
    const outputs: BackgroundOutput[] = [];
    for (const job of this.jobs.splice(0)) {
      await this.guest.exec(['kill', String(job.pid)], { timeoutMs: 60_000 }).catch(() => undefined);
      const r = await this.guest.exec(['cat', job.out], { timeoutMs: 60_000 }).catch(() => undefined);
      outputs.push({ argv: job.argv, out: job.out, output: r?.stdout.toString() ?? '' });
    }
    await this.guest.exec(['rm', '-rf', this.guestDir], { timeoutMs: 60_000 }).catch(() => undefined);
    return outputs;
  }
}
