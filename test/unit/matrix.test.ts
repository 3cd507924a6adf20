import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { expandMatrix, jobId, pinMismatches, type UnpinnedJob } from '../../src/matrix/job.js';
import { parseMatrixSpec } from '../../src/matrix/spec.js';
import { JobIdSchema } from '../../src/matrix/records.js';
import { defaultJobs, summarizeMatrix } from '../../src/matrix/summary.js';
import { parseSacct, sbatchArgs, slurmScripts, taskMemory } from '../../src/matrix/slurm-plan.js';
import { shellQuote } from '../../src/util/shell-quote.js';
import type { JobResult } from '../../src/lab/job.js';
import { PROJECT } from '../helpers/cli.js';
import { LabError } from '../../src/errors.js';

const SCENARIOS = ['manual', 'kcompactd', 'direct'];
const spec = (o: object) =>
  parseMatrixSpec(
    JSON.stringify({ name: 'm', kernels: [{ name: 'a', profile: 'debian' }], scenarios: ['manual'], ...o }),
    'm.json',
    SCENARIOS,
  );
const files = { fragment: (f: string) => `/frag/${f}`, lab: (f: string) => `/labs/${f}` };

describe('a matrix spec', () => {
  it('expands the shipped example into 2 kernels × 2 scenarios × 2 repeats', () => {
    const file = path.join(PROJECT, 'matrices', 'example.json');
    const s = parseMatrixSpec(readFileSync(file, 'utf8'), file, SCENARIOS);
    const { kernels, jobs } = expandMatrix(s, files);
    expect(kernels.map((k) => k.name)).toEqual(['none', 'preempt']);
    expect(kernels[1]!.build).toEqual({
      profile: 'debian',
      extraFragments: ['/frag/preempt.config'],
      rootfs: 'debian',
    });
    expect(jobs.map((j) => j.id)).toEqual([
      'none.manual.r1',
      'none.manual.r2',
      'none.kcompactd.r1',
      'none.kcompactd.r2',
      'preempt.manual.r1',
      'preempt.manual.r2',
      'preempt.kcompactd.r1',
      'preempt.kcompactd.r2',
    ]);
    expect(new Set(jobs.map((j) => j.cell)).size).toBe(4);
    expect(jobs.every((j) => j.of === 2 && j.vm.memory === '2G')).toBe(true);
  });

  it('names the file, the key and what is allowed when something is wrong', () => {
    expect(() => spec({ kernel: [] })).toThrow(
      'm.json: (top level): unknown key "kernel" (allowed: ' +
        '$schema, name, about, kernels, scenarios, arch, repeat, vm, sameStart, timeout)',
    );
    expect(() => spec({ kernels: [{ name: 'a', profile: 'debian', frag: [] }] })).toThrow(
      'm.json: kernels.0: unknown key "frag" (allowed: name, profile, lab, fragments)',
    );
    expect(() => spec({ scenarios: ['manual', 'nope'] })).toThrow(
      'm.json: scenarios.1: no scenario named "nope" (allowed: manual, kcompactd, direct)',
    );
    expect(() => spec({ repeat: 0 })).toThrow(/^m\.json: repeat: /);
    expect(() => spec({ vm: { memory: 'lots' } })).toThrow('m.json: vm.memory: a size such as 2G or 1536M');
    expect(() => spec({ kernels: [{ name: 'a' }, { name: 'a' }] })).toThrow('the name "a" is used twice');
    expect(() => spec({ kernels: [{ name: 'a', profile: 'debian', lab: 'x/lab.json' }] })).toThrow(
      'a profile or a lab.json, not both',
    );
    expect(() => parseMatrixSpec('{', 'm.json', SCENARIOS)).toThrow(/^m\.json is not valid JSON/);
  });

  it('builds each kernel for each architecture of the arch axis, arm64 on its initramfs', () => {
    const file = path.join(PROJECT, 'matrices', 'arch.json');
    const s = parseMatrixSpec(readFileSync(file, 'utf8'), file, SCENARIOS);
    const { kernels, jobs } = expandMatrix(s, files);
    expect(kernels).toEqual([
      { name: 'linux-x86_64', build: { profile: 'debian', extraFragments: [], arch: 'x86_64', rootfs: 'debian' } },
      { name: 'linux-arm64', build: { profile: 'debian', extraFragments: [], arch: 'arm64', rootfs: 'initramfs' } },
    ]);
    expect(jobs.map((j) => j.id)).toEqual([
      'linux-x86_64.manual.r1',
      'linux-x86_64.manual.r2',
      'linux-x86_64.kcompactd.r1',
      'linux-x86_64.kcompactd.r2',
      'linux-arm64.manual.r1',
      'linux-arm64.manual.r2',
      'linux-arm64.kcompactd.r1',
      'linux-arm64.kcompactd.r2',
    ]);
    // each id names a job file and a lab directory: the plan and the job read them back
    for (const j of jobs) expect(JobIdSchema.parse(j.id)).toBe(j.id);
    expect(() => spec({ arch: ['arm64', 'aarch64'] })).toThrow(/^m\.json: arch\.1: /);
    expect(() => spec({ arch: ['arm64', 'arm64'] })).toThrow('m.json: arch: "arm64" is listed twice');
    expect(() => spec({ arch: [] })).toThrow(/^m\.json: arch: /);
    // without the axis nothing changes: the names and builds of before
    expect(expandMatrix(spec({}), files).kernels).toEqual([
      { name: 'a', build: { profile: 'debian', extraFragments: [], rootfs: 'debian' } },
    ]);
  });

  it("runs a kernel from a lab.json, its extra fragments after the lab's", () => {
    const { kernels } = expandMatrix(
      spec({ kernels: [{ name: 'course', lab: 'course/lab.json', fragments: ['x.config'] }] }),
      files,
    );
    expect(kernels[0]!.build).toEqual({
      lab: '/labs/course/lab.json',
      extraFragments: ['/frag/x.config'],
      rootfs: 'debian',
    });
  });
});

describe('a job', () => {
  const pins = {
    files: { '/f/a.config': 'a'.repeat(64), '/s/manual.json': 'b'.repeat(64) },
    kernelKey: 'k1',
    rootfsKey: 'r1',
    qemu: 'QEMU 7.2',
  };
  it('names every input this machine does not reproduce', () => {
    expect(pinMismatches(pins, { ...pins })).toEqual([]);
    expect(
      pinMismatches(pins, {
        files: { '/f/a.config': 'c'.repeat(64) },
        kernelKey: 'k2',
        rootfsKey: 'r1',
        qemu: 'QEMU 8.1',
      }),
    ).toEqual([
      '/f/a.config: sha256 cccccccccccc, pinned aaaaaaaaaaaa',
      '/s/manual.json: missing, pinned bbbbbbbbbbbb',
      'kernel k2, pinned k1',
      'QEMU "QEMU 8.1", pinned "QEMU 7.2"',
    ]);
  });
  it('is named kernel.scenario.rN', () => expect(jobId('preempt', 'kcompactd', 2)).toBe('preempt.kcompactd.r2'));
});

describe('the summary', () => {
  const { jobs } = expandMatrix(
    spec({ kernels: [{ name: 'a', profile: 'debian' }], scenarios: ['manual', 'kcompactd'], repeat: 2 }),
    files,
  );
  const result = (j: UnpinnedJob, over: Partial<JobResult>): JobResult => ({
    id: j.id,
    cell: j.cell,
    kernel: j.kernel,
    scenario: j.scenario,
    repeat: j.repeat,
    status: 'done',
    ok: true,
    verdicts: [{ path: j.scenario, fired: true, ok: true }],
    seconds: 40 + j.repeat,
    host: 'h',
    ...over,
  });
  it("counts each cell's runs, verdicts and times, and names what did not finish", () => {
    const results = new Map<string, JobResult>([
      [jobs[0]!.id, result(jobs[0]!, {})],
      [jobs[1]!.id, result(jobs[1]!, { ok: false, verdicts: [{ path: 'manual', fired: false, ok: false }] })],
      [jobs[2]!.id, result(jobs[2]!, { status: 'failed', error: 'boot timed out' })],
    ]);
    const s = summarizeMatrix('m', jobs, results);
    expect([s.jobs, s.done, s.failed, s.missing]).toEqual([4, 2, 1, 1]);
    expect(s.cells[0]).toMatchObject({
      cell: 'a.manual',
      runs: 2,
      done: 2,
      ok: 1,
      verdicts: [{ path: 'manual', fired: 1, of: 2 }],
      seconds: { median: 41.5, min: 41, max: 42 },
    });
    expect(s.cells[1]).toMatchObject({
      cell: 'a.kcompactd',
      done: 0,
      failed: ['a.kcompactd.r1'],
      missing: ['a.kcompactd.r2'],
    });
    expect(s.problems).toEqual([
      { id: 'a.kcompactd.r1', status: 'failed', error: 'boot timed out' },
      { id: 'a.kcompactd.r2', status: 'missing' },
    ]);
  });
  it('runs as many jobs side by side as cores and memory allow', () => {
    expect(defaultJobs({ cores: 2, memoryBytes: 24 * 2 ** 30 }, '2G')).toBe(2);
    expect(defaultJobs({ cores: 64, memoryBytes: 24 * 2 ** 30 }, '2G')).toBe(7);
    expect(defaultJobs({ cores: 8, memoryBytes: 2 * 2 ** 30 }, '4G')).toBe(1);
  });
});

describe('the Slurm plan', () => {
  const input = {
    name: 'example',
    out: "/shared/it's here",
    spec: '/shared/matrices/example.json',
    jobIds: ['a.manual.r1', 'a.manual.r2', 'b.manual.r1'],
    node: '/usr/bin/node',
    labMain: '/opt/lab/dist/lab.js',
    storeRoot: '/shared/store',
    vm: { memory: '2G', cpus: 2 },
    timeout: 900,
  };
  it("has one array task per job, each with its VM's CPUs and memory, and quotes every path", async () => {
    const s = slurmScripts(input);
    expect(s.array).toContain('#SBATCH --array=0-2\n#SBATCH --cpus-per-task=2\n#SBATCH --mem=3072M\n#SBATCH --time=20');
    expect(s.jobsList).toBe('a.manual.r1\na.manual.r2\nb.manual.r1\n');
    expect(s.build).toContain(
      `exec /usr/bin/node /opt/lab/dist/lab.js matrix ` +
        `/shared/matrices/example.json --prepare-only --out '/shared/it'\\''s here'`,
    );
    expect(s.gather).toContain("matrix --gather '/shared/it'\\''s here'");
    for (const script of [s.build, s.array, s.gather]) expect(script).toContain('export LAB_CACHE=/shared/store');
    for (const script of [s.build, s.array, s.gather, s.submit])
      expect((await execa('sh', ['-n'], { input: script, reject: false })).exitCode).toBe(0);
    expect(s.submit).toContain("cd '/shared/it'\\''s here/slurm'\n");
    // the task's line of jobs.txt, as sh computes it
    const line = await execa('sh', [
      '-c',
      'printf "a\\nb\\nc\\n" > /tmp/lab-jobs.$$ && SLURM_ARRAY_TASK_ID=1 && sed ' +
        '-n "$((SLURM_ARRAY_TASK_ID + 1))p" /tmp/lab-jobs.$$; rm -f /tmp/lab-jobs.$$',
    ]);
    expect(line.stdout).toBe('b');
    expect(shellQuote('plain/path-1.json')).toBe('plain/path-1.json');
    expect(taskMemory('1536M')).toBe('2560M');
  });
  it('chains the steps: the array after the build succeeded, the gather after every task', () => {
    expect(sbatchArgs('build', 'b.sbatch')).toEqual(['--parsable', 'b.sbatch']);
    expect(sbatchArgs('array', 'a.sbatch', '41')).toEqual(['--parsable', '--dependency=afterok:41', 'a.sbatch']);
    expect(sbatchArgs('gather', 'g.sbatch', '42')).toEqual(['--parsable', '--dependency=afterany:42', 'g.sbatch']);
  });
  it("reads each task's state from sacct, and a task sacct does not list is missing", () => {
    const text = [
      '42_0|COMPLETED|0:0',
      '42_0.batch|COMPLETED|0:0',
      '42_1|CANCELLED by 0|0:0',
      '42_2|FAILED|1:0',
      '420_3|COMPLETED|0:0',
      '',
    ].join('\n');
    expect(parseSacct(text, '42', ['a', 'b', 'c', 'd'])).toEqual([
      { id: 'a', task: 0, state: 'COMPLETED', exitCode: '0:0' },
      { id: 'b', task: 1, state: 'CANCELLED', exitCode: '0:0' },
      { id: 'c', task: 2, state: 'FAILED', exitCode: '1:0' },
      { id: 'd', task: 3, state: 'MISSING' },
    ]);
  });
});

describe('a matrix with sameStart (lab matrix --same-start)', () => {
  const withStart = (s: string) => s === 'manual';

  it('puts sameStart in every job, and the Slurm build step passes --same-start on', () => {
    const s = parseMatrixSpec(
      JSON.stringify({ name: 'm', kernels: [{ name: 'a' }], scenarios: ['manual'], repeat: 2, sameStart: true }),
      'm.json',
      SCENARIOS,
      withStart,
    );
    expect(expandMatrix(s, files).jobs.map((j) => j.sameStart)).toEqual([true, true]);
    expect(expandMatrix(spec({}), files).jobs.map((j) => j.sameStart)).toEqual([undefined]);
    const base = { name: 'm', out: '/o', spec: '/m.json', jobIds: ['a'], node: 'n', labMain: 'l', storeRoot: '/s' };
    const plan = { ...base, vm: { memory: '2G', cpus: 2 }, timeout: 60 };
    expect(slurmScripts({ ...plan, sameStart: true }).build).toMatch(/--prepare-only --out \/o --same-start\n/);
    expect(slurmScripts(plan).build).toMatch(/--prepare-only --out \/o\n/);
  });

  it('refuses a scenario without a start moment, and names those that have one', () => {
    const text = JSON.stringify({
      name: 'm',
      kernels: [{ name: 'a' }],
      scenarios: ['manual', 'direct'],
      sameStart: true,
    });
    let error: unknown;
    try {
      parseMatrixSpec(text, 'm.json', SCENARIOS, withStart);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(LabError);
    expect((error as LabError).line()).toBe(
      'm.json: sameStart: scenario "direct" names no start moment: ' +
        'drop sameStart, or keep to scenarios with one: manual',
    );
  });
});
