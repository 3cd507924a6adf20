import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { labPaths } from '../../src/config/paths.js';
import { parseHits } from '../../src/record/hit-schema.js';
import { parseBuildRecord, readBuildRecord } from '../../src/lab/build-record.js';
import { readState } from '../../src/vm/state.js';
import { stopVm } from '../../src/vm/stop.js';
import { tempDir } from '../helpers/cli.js';

const hit = (seq: number) =>
  JSON.stringify({
    seq,
    time: '2026-01-01T00:00:00Z',
    elapsed: seq / 10,
    breakpoint: 'compact_zone',
    function: 'compact_zone',
    file: null,
    line: null,
    cpu: 0,
    comm: null,
    pid: null,
    frames: [],
    trimmed: false,
  });

describe('damaged records are one clear error, never a stack trace', () => {
  it('a torn last line of hits.jsonl (gdb killed mid-write) is dropped; the hits before it stand', () => {
    expect(parseHits(`${hit(1)}\n${hit(2)}\n{"seq": 3, "brea`).map((h) => h.seq)).toEqual([1, 2]);
  });

  it('a damaged line inside hits.jsonl names the file and the line', () => {
    expect(() => parseHits(`${hit(1)}\n{"seq": 2,\n${hit(3)}\n`, '/r/hits.jsonl')).toThrow(
      '/r/hits.jsonl line 2 is not a hit record',
    );
  });

  it('a damaged build.json is BUILD_RECORD_CORRUPT, not "not built"', async () => {
    expect(() => parseBuildRecord('{"profile": "debian", "kern', '/l/build.json')).toThrow(
      /^\/l\/build.json is not valid JSON/,
    );
    expect(() => parseBuildRecord('{"profile": "debian"}', '/l/build.json')).toThrow(
      '/l/build.json: kernel: Invalid input: expected object, received undefined',
    );
    const paths = labPaths(tempDir('rec'));
    await expect(readBuildRecord(paths)).rejects.toMatchObject({ code: 'NOT_BUILT' });
    mkdirSync(paths.root, { recursive: true });
    writeFileSync(paths.build, '');
    await expect(readBuildRecord(paths)).rejects.toMatchObject({ code: 'BUILD_RECORD_CORRUPT' });
  });

  it("a damaged state.json is STATE_CORRUPT, and lab down clears it by QEMU's pid file", async () => {
    const paths = labPaths(tempDir('rec'));
    mkdirSync(paths.vmDir, { recursive: true });
    writeFileSync(paths.state, '{"pid": 12');
    await expect(readState(paths)).rejects.toMatchObject({ code: 'STATE_CORRUPT' });
    // the pid file names a process that is not a QEMU (this test itself): it must not be touched
    writeFileSync(paths.pidFile, `${process.pid}\n`);
    writeFileSync(paths.qmpSocket, '');
    expect(await stopVm(paths)).toEqual({ outcome: 'state-damaged', pid: undefined });
    expect(await readState(paths)).toBeUndefined();
    expect(path.basename(paths.state)).toBe('state.json');
  });
});
