/**
 * Progress of long work. On a terminal one line is redrawn in place (stage,
 * percent or count, elapsed); elsewhere notices, the end of each stage and,
 * while a stage runs, one whole line a minute are written to stderr, so a log
 * shows the work is alive and stdout stays parseable. With --json, notices only.
 */
export interface StageUpdate {
  done: number;
  total?: number;
  unit?: 'bytes' | 'files' | 'hits';
}

export interface Stage {
  update(u: StageUpdate): void;
  done(summary?: string): void;
}

export interface Progress {
  stage(name: string): Stage;
  notice(line: string): void;
}

export type ProgressMode = 'tty' | 'plain' | 'quiet';

export function progressMode(opts: { json?: boolean; stream?: NodeJS.WriteStream }): ProgressMode {
  if (opts.json) return 'quiet';
  return (opts.stream ?? process.stderr).isTTY ? 'tty' : 'plain';
}

export function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${(ms / 1000).toFixed(1)}s`;
}

export function formatAmount(n: number, unit: StageUpdate['unit']): string {
  if (unit === 'bytes') return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${Math.round(n / 1024)} KiB`;
  return `${n}${unit ? ` ${unit}` : ''}`;
}

/** The text of one progress line (pure, so it can be tested). */
export function renderStageLine(name: string, u: StageUpdate | undefined, elapsedMs: number): string {
  const parts = [name];
  if (u) {
    if (u.total && u.total > 0) {
      const pct = Math.min(100, Math.floor((100 * u.done) / u.total));
      parts.push(`${pct}%`, `${formatAmount(u.done, u.unit)}/${formatAmount(u.total, u.unit)}`);
    } else {
      parts.push(formatAmount(u.done, u.unit));
    }
  }
  parts.push(formatElapsed(elapsedMs));
  return parts.join(' · ');
}

/** How often a stage still running says so when not on a terminal. */
export const PLAIN_LINE_EVERY_MS = 60_000;

export function createProgress(
  mode: ProgressMode,
  stream: Pick<NodeJS.WriteStream, 'write'> = process.stderr,
  plainEveryMs = PLAIN_LINE_EVERY_MS,
): Progress {
  return {
    notice(line) {
      if (mode === 'tty') stream.write('\r\x1b[K');
      stream.write(`${line}\n`);
    },
    stage(name) {
      const started = Date.now();
      let last: StageUpdate | undefined;
      let drawnAt = 0;
      const draw = () => {
        stream.write(`\r\x1b[K${renderStageLine(name, last, Date.now() - started)}`);
        drawnAt = Date.now();
      };
      const plainLine = () => stream.write(`${renderStageLine(name, last, Date.now() - started)}\n`);
      const timer =
        mode === 'tty' ? setInterval(draw, 1000) : mode === 'plain' ? setInterval(plainLine, plainEveryMs) : undefined;
      timer?.unref();
      if (mode === 'tty') draw();
      return {
        update(u) {
          last = u;
          if (mode === 'tty' && Date.now() - drawnAt > 100) draw();
        },
        done(summary) {
          if (timer) clearInterval(timer);
          const line = `${name}: ${summary ?? 'done'} (${formatElapsed(Date.now() - started)})`;
          if (mode === 'tty') stream.write(`\r\x1b[K${line}\n`);
          else if (mode === 'plain') stream.write(`${line}\n`);
        },
      };
    },
  };
}

/** For library callers and tests: reports nothing. */
export const silentProgress: Progress = {
  notice() {},
  stage() {
    return { update() {}, done() {} };
  },
};
