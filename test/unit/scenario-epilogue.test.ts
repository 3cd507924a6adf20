import { gzipSync } from 'node:zlib';
/**
 * The end of a manual scenario run (function_graph and breakpoints) against
 * a fake guest: the trace is parsed once, and the exports and report.html
 * come from the recording in memory, the same as lab report makes from the
 * files the run left.
 */
import { labPaths } from '../../src/config/paths.js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { silentProgress } from '../../src/progress/progress.js';
import { finishRecording } from '../../src/lab/record-run.js';
import { readRunContents } from '../../src/record/read-run.js';
import { writeHits } from '../../src/record/write.js';
import { parseHits } from '../../src/record/hit-schema.js';
import { buildRunReport } from '../../src/report/model.js';
import { parseScenario } from '../../src/scenario/schema.js';
import { performScenario } from '../../src/scenario/session.js';
import { parseTrace } from '../../src/trace/ftrace-parse.js';
import { PROJECT, tempDir } from '../helpers/cli.js';
import { FakeGuest } from '../helpers/fake-guest.js';

vi.mock('../../src/trace/ftrace-parse.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/trace/ftrace-parse.js')>();
  return { ...actual, parseTrace: vi.fn(actual.parseTrace) };
});

const RUNS = path.join(PROJECT, 'test', 'data', 'runs');
const RUN = path.join(RUNS, 'scenario');
const MANUAL = JSON.parse(readFileSync(path.join(PROJECT, 'scenarios', 'manual.json'), 'utf8')) as Record<
  string,
  unknown
>;

describe('the end of a manual scenario run', () => {
  it('parses its trace once; its exports and report are drawn from memory, as lab report draws them', async () => {
    const guest = new FakeGuest();
    // a function_graph trace with the scenario's compaction events
    const graph = readFileSync(path.join(RUNS, 'trace', 'trace.txt'), 'utf8');
    const trace = graph + readFileSync(path.join(RUN, 'trace.txt'), 'utf8');
    // arming clears the fake's trace file: the trace is what stopping reads
    const exec = guest.exec.bind(guest);
    guest.exec = async (argv: string[]) =>
      argv.join(' ') === 'gzip -c -1 /sys/kernel/tracing/trace'
        ? { exitCode: 0, stdout: gzipSync(trace), stderr: Buffer.alloc(0) }
        : exec(argv);
    const scenario = parseScenario(
      JSON.stringify({ ...MANUAL, steps: [{ run: ['true'] }], settings: {}, start: undefined }),
      'manual.json',
    );
    const hits = parseHits(readFileSync(path.join(RUN, 'hits.jsonl'), 'utf8'));
    const dir = tempDir('epilogue');
    const parses = vi.mocked(parseTrace);
    parses.mockClear();

    const result = await performScenario(scenario, dir, {
      guest,
      runId: 'r1',
      progress: silentProgress,
      // as the recorder does: hits.jsonl written, the hits handed back
      startDebug: async (_request, runDir, o) => {
        o.onArmed();
        await writeHits(runDir, hits);
        return { hits, outcome: 'count-reached', breakpoints: [], files: {}, gdbVersion: 'stub', seconds: 1 } as never;
      },
    });
    const manifest = { ...JSON.parse(readFileSync(path.join(RUN, 'manifest.json'), 'utf8')), exports: undefined };
    const run = { id: 'r1', dir, manifest };
    const notices: string[] = [];
    const ctx = {
      paths: { ...labPaths(path.dirname(dir)), runs: path.dirname(dir) },
      commandLine: ['run', 'manual'],
      progress: { ...silentProgress, notice: (m: string) => void notices.push(m) },
      report: true,
    } satisfies Parameters<typeof finishRecording>[0];
    const report = await finishRecording(ctx, run, { fields: { ok: result.ok }, contents: result.contents });

    expect(parses).toHaveBeenCalledTimes(1);
    expect(notices).toEqual([]);
    expect(report).toBe(path.join(dir, 'report.html'));
    expect(run.manifest.exports).toEqual(['hits.folded', 'trace.folded', 'trace.json']);
    for (const f of run.manifest.exports as string[]) expect(existsSync(path.join(dir, f))).toBe(true);
    const fromFiles = buildRunReport(await readRunContents(dir));
    expect(buildRunReport({ ...result.contents, manifest: run.manifest })).toEqual(fromFiles);
  });
});
