/**
 * Progress of long work. On a terminal one line is redrawn in place (stage,
 * percent or count, elapsed); elsewhere, and with --json, only notices and the
 * end of each stage are written, to stderr, so stdout stays parseable.
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

export function createProgress(mode: ProgressMode, stream: NodeJS.WriteStream = process.stderr): Progress {
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
      const timer = mode === 'tty' ? setInterval(draw, 1000) : undefined;
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
