import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parseBreakpointSpec } from '../../src/gdb/breakpoint-spec.js';
import { RecorderLog } from '../../src/gdb/recorder-events.js';
import { triggerArgv, validateDebugFlags } from '../../src/lab/debug.js';
import { PROJECT } from '../helpers/cli.js';

describe('--break', () => {
  it('takes a function, FILE:LINE, and either with a condition', () => {
    expect(parseBreakpointSpec('compact_zone')).toEqual({
      spec: 'compact_zone',
      location: 'compact_zone',
      condition: null,
      kind: 'function',
    });
    expect(parseBreakpointSpec('mm/compaction.c:2400')).toMatchObject({
      location: 'mm/compaction.c:2400',
      kind: 'line',
    });
    expect(parseBreakpointSpec('compact_zone if cc->order > 0')).toMatchObject({
      location: 'compact_zone',
      condition: 'cc->order > 0',
    });
    expect(parseBreakpointSpec('mm/compaction.c:2400 if cc->migrate_pfn >= cc->free_pfn')).toMatchObject({
      kind: 'line',
      condition: 'cc->migrate_pfn >= cc->free_pfn',
    });
  });

  it('refuses what is no breakpoint, in one line, before anything is attached', () => {
    expect(() => parseBreakpointSpec('compact zone')).toThrow('--break "compact zone" is not a breakpoint');
    expect(() => parseBreakpointSpec('mm/compaction.c:0')).toThrow(/is not a breakpoint/);
    expect(() => parseBreakpointSpec('compact_zone if')).toThrow(/empty condition/);
    expect(() => validateDebugFlags({ break: ['ok', '$(id)'], count: 1, timeout: 1 })).toThrow(
      /"\$\(id\)" is not a breakpoint/,
    );
    expect(() => validateDebugFlags({ break: ['compact_zone'], count: 1, timeout: 1, maxPerBreak: 0 })).toThrow(
      /--max-per-break 0/,
    );
    expect(() =>
      validateDebugFlags({
        break: ['compact_zone'],
        count: 1,
        timeout: 1,
        trigger: 'compact',
        triggerCommand: ['true'],
      }),
    ).toThrow(/both --trigger/);
  });

  it('runs a named trigger or any guest command as words', () => {
    expect(triggerArgv({ trigger: 'compact' })).toEqual(['sh', '-c', 'echo 1 > /proc/sys/vm/compact_memory']);
    expect(triggerArgv({ triggerCommand: ['stress-ng', '--vm', '1'] })).toEqual(['stress-ng', '--vm', '1']);
    expect(triggerArgv({})).toBeUndefined();
  });
});

describe('how a recording ended', () => {
  const where = { hitsFile: '/r/hits.jsonl', gdbLog: '/r/gdb.log' };
  const log = (...events: Array<Record<string, unknown>>) => {
    const l = new RecorderLog();
    for (const e of events) l.feed(e as { event: string });
    return l;
  };

  it("is the recorder's last word, with the reason lab stopped it", () => {
    expect(log({ event: 'armed' }, { event: 'hit', seq: 3 }, { event: 'count-reached' }).outcome(where)).toBe(
      'count-reached',
    );
    const stopped = log({ event: 'armed' }, { event: 'interrupted' });
    stopped.stopReason = 'timeout';
    expect(stopped.outcome(where)).toBe('timeout');
    expect(log({ event: 'interrupted' }).outcome(where)).toBe('interrupted');
  });

  it('is never count-reached by default: no last word, a failed write or a lost VM are errors', () => {
    expect(() => log({ event: 'armed' }, { event: 'hit', seq: 2 }).outcome(where)).toThrow(
      'gdb ended without saying how the recording ended (2 hits recorded)',
    );
    expect(() => log({ event: 'write-failed', error: 'No space left on device' }).outcome(where)).toThrow(
      'the recorder could not write /r/hits.jsonl: No space left on device',
    );
    expect(() => log({ event: 'target-lost', error: 'Remote connection closed' }).outcome(where)).toThrow(
      /the VM went away/,
    );
  });

  it("keeps each breakpoint's number of sites", () => {
    expect(log({ event: 'breakpoint', spec: 'compact_unlock_should_abort', sites: 3 }).sites).toEqual([
      { spec: 'compact_unlock_should_abort', sites: 3 },
    ]);
  });
});

describe('the recorder in gdb Python', () => {
  it('passes its unit tests against a stub gdb module', async () => {
    const r = await execa('python3', ['-m', 'unittest', 'discover', '-s', path.join(PROJECT, 'gdb-scripts', 'tests')], {
      reject: false,
      all: true,
    });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toMatch(/Ran (\d+) tests/);
    expect(Number(/Ran (\d+) tests/.exec(r.all ?? '')?.[1])).toBeGreaterThanOrEqual(15);
  });
});
