/**
 * The gather step on job results as the array tasks leave them: a committed
 * real scenario run stands for each done job, one job left no result (a
 * cancelled task), and the two kernels' runs are compared per scenario.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatherMatrix } from '../../src/lab/matrix.js';
import { silentProgress } from '../../src/progress/progress.js';
import { Store } from '../../src/store/store.js';
import { expandMatrix, type JobResult } from '../../src/matrix/job.js';
import { parseMatrixSpec } from '../../src/matrix/spec.js';
import { PROJECT, tempDir } from '../helpers/cli.js';

const RUN = path.join(PROJECT, 'test', 'data', 'runs', 'scenario');

describe('lab matrix --gather', () => {
  it('summarises what the tasks left, names the missing one, and compares the kernels per scenario', async () => {
    const out = tempDir('gather');
    const spec = parseMatrixSpec(
      JSON.stringify({
        name: 'g',
        kernels: [
          { name: 'a', profile: 'debian' },
          { name: 'b', profile: 'debian' },
        ],
        scenarios: ['proactive'],
        repeat: 2,
      }),
      'g.json',
      ['proactive'],
    );
    const { jobs } = expandMatrix(spec, { fragment: (f) => f, lab: (f) => f });
    for (const job of jobs) {
      mkdirSync(path.join(out, 'jobs'), { recursive: true });
      writeFileSync(
        path.join(out, 'jobs', `${job.id}.json`),
        JSON.stringify({ ...job, pins: { files: {}, kernelKey: 'k', rootfsKey: 'r', qemu: 'q' } }),
      );
      if (job.id === 'b.proactive.r2') continue; // its task was cancelled: no job.json
      const lab = path.join(out, 'labs', job.id);
      cpSync(RUN, path.join(lab, 'runs', 'r'), { recursive: true });
      const result: JobResult = {
        id: job.id,
        cell: job.cell,
        kernel: job.kernel,
        scenario: job.scenario,
        repeat: job.repeat,
        status: 'done',
        ok: true,
        verdicts: [{ path: 'proactive', fired: true, ok: true }],
        runDir: path.join(lab, 'runs', 'r'),
        gdbPort: 4321,
        seconds: 30,
        host: 'node-1',
      };
      writeFileSync(path.join(lab, 'job.json'), JSON.stringify(result));
    }
    writeFileSync(
      path.join(out, 'matrix.json'),
      JSON.stringify({ matrix: 'g', spec: 'g.json', jobs: jobs.map((j) => j.id), kernels: [] }),
    );

    // a store with no kernels: the comparison names no function's copies and says nothing is inlined
    const s = await gatherMatrix(out, {
      store: new Store(tempDir('gather-store')),
      progress: silentProgress,
      signal: new AbortController().signal,
    });
    expect([s.jobs, s.done, s.failed, s.missing]).toEqual([4, 3, 0, 1]);
    expect(s.problems).toEqual([{ id: 'b.proactive.r2', status: 'missing' }]);
    expect(s.comparisons).toEqual([
      {
        scenario: 'proactive',
        a: 'a',
        b: 'b',
        page: path.join(out, 'compare', 'proactive.a-vs-b.html'),
        verdictsDiffer: [],
      },
    ]);
    expect(readFileSync(s.comparisons![0]!.page, 'utf8')).toMatch(/^<!doctype html>/i);
    expect(JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'))).toEqual(s);
    expect(existsSync(path.join(out, 'compare'))).toBe(true);
  });
});
