import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createProgress } from '../../src/progress/progress.js';

function sink() {
  const chunks: string[] = [];
  return { chunks, stream: { write: (c: string) => chunks.push(c) > 0 } };
}

describe('progress off a terminal', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('says a long stage is still running, one whole line a minute, and stops when it ends', () => {
    const { chunks, stream } = sink();
    const stage = createProgress('plain', stream).stage('kernel build');
    stage.update({ done: 3, total: 10, unit: 'files' });
    vi.advanceTimersByTime(59_000);
    expect(chunks).toEqual([]);
    vi.advanceTimersByTime(2 * 60_000);
    expect(chunks).toEqual([
      'kernel build · 30% · 3 files/10 files · 1m00s\n',
      'kernel build · 30% · 3 files/10 files · 2m00s\n',
    ]);
    stage.done();
    vi.advanceTimersByTime(5 * 60_000);
    expect(chunks).toHaveLength(3);
    expect(chunks[2]).toBe('kernel build: done (2m59s)\n');
    expect(chunks.every((c) => !c.includes('\r') && !c.includes('\x1b'))).toBe(true);
  });

  it('writes nothing but notices with --json', () => {
    const { chunks, stream } = sink();
    const progress = createProgress('quiet', stream);
    const stage = progress.stage('kernel build');
    vi.advanceTimersByTime(10 * 60_000);
    stage.done();
    progress.notice('falling back');
    expect(chunks).toEqual(['falling back\n']);
  });
});
