/**
 * lab matrix on the real thing: jobs side by side here (one VM each, a port
 * each), a failing job reported by name while the others go on, Ctrl-C
 * leaving no VM, and the same jobs as array tasks on a real Slurm (munged,
 * MariaDB, slurmdbd, slurmctld and slurmd started in a temporary directory by
 * scripts/local-slurm.sh), one task cancelled with scancel.
 * The debian profile's kernel comes from the store.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lab, LAB, PROJECT, tempDir } from '../helpers/cli.js';

const cwd = tempDir('e2e-matrix');
const spec = path.join(cwd, 'three.json');
writeFileSync(
  spec,
  JSON.stringify({
    name: 'three',
    kernels: [{ name: 'base', profile: 'debian' }],
    scenarios: ['manual'],
    repeat: 3,
    timeout: 600,
  }),
);

interface Summary {
  jobs: number;
  done: number;
  failed: number;
  missing: number;
  cells: Array<{
    cell: string;
    runs: number;
    done: number;
    verdicts: Array<{ path: string; fired: number; of: number }>;
  }>;
  problems: Array<{ id: string; status: string; error?: string }>;
}
const summaryOf = (out: string): Summary => JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
const jobResult = (out: string, id: string) => JSON.parse(readFileSync(path.join(out, 'labs', id, 'job.json'), 'utf8'));

/** QEMUs whose files are under dir: none may outlive a matrix. */
/**
 * The VMs running under dir, one per job's lab directory: a QEMU that daemonizes is
 * two processes with one command line until its parent exits, so processes are not VMs.
 */
async function qemusUnder(dir: string): Promise<string[]> {
  const r = await execa('pgrep', ['-af', 'qemu-system'], { reject: false });
  const labDirs = r.stdout
    .split('\n')
    .filter((l) => l.includes(dir))
    .map((l) => /\/labs\/([^/\s]+)\//.exec(l)?.[1] ?? l);
  return [...new Set(labDirs)];
}

const local = path.join(cwd, 'here');
/** The one cell of three.json with r3 failed (here) or cancelled (on Slurm): two runs of three, both fired. */
const expectedCells = [
  expect.objectContaining({ cell: 'base.manual', runs: 3, done: 2, verdicts: [{ path: 'manual', fired: 2, of: 2 }] }),
];
/** The fields of every summary.json (matrix/summary.ts's MatrixSummary), wherever it was gathered. */
const SUMMARY_FIELDS = ['matrix', 'jobs', 'done', 'failed', 'missing', 'cells', 'problems'];

describe('lab matrix here', () => {
  beforeAll(async () => {
    const prep = await lab(['matrix', spec, '--prepare-only', '--out', local, '--json'], { cwd });
    expect(prep.exitCode, prep.stderr).toBe(0);
  }, 45 * 60_000);

  it('writes one self-contained job per repeat, every input pinned', () => {
    const jobs = readdirSync(path.join(local, 'jobs')).sort();
    expect(jobs).toEqual(['base.manual.r1.json', 'base.manual.r2.json', 'base.manual.r3.json']);
    const job = JSON.parse(readFileSync(path.join(local, 'jobs', jobs[0]!), 'utf8'));
    expect(job.pins.files).toHaveProperty(
      [path.join(PROJECT, 'scenarios', 'manual.json')],
      expect.stringMatching(/^[0-9a-f]{64}$/),
    );
    const build = JSON.parse(readFileSync(path.join(local, 'kernels', 'base', 'build.json'), 'utf8'));
    expect(job.pins).toMatchObject({
      kernelKey: build.kernel.key,
      rootfsKey: build.rootfs.key,
      qemu: build.qemu.version,
    });
  });

  it(
    'runs the jobs two at a time, each with its own VM and gdb port; a failing job is named and the others go on',
    async () => {
      // the third job pins a kernel this machine does not build: it must fail alone
      const third = path.join(local, 'jobs', 'base.manual.r3.json');
      const job = JSON.parse(readFileSync(third, 'utf8'));
      writeFileSync(third, JSON.stringify({ ...job, pins: { ...job.pins, kernelKey: 'f'.repeat(32) } }));
      const r = await lab(['matrix', '--run', local, '--jobs', '2'], { cwd, timeout: 15 * 60_000 });
      expect(r.exitCode, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        /^\[\d\/3\] base\.manual\.r3: FAILED: job base\.manual\.r3: kernel [0-9a-f]{32}, pinned f{32}/m,
      );
      const localSummary = summaryOf(local);
      expect(localSummary).toMatchObject({
        jobs: 3,
        done: 2,
        failed: 1,
        missing: 0,
        problems: [{ id: 'base.manual.r3', status: 'failed' }],
      });
      expect(Object.keys(localSummary)).toEqual(expect.arrayContaining(SUMMARY_FIELDS));
      expect(localSummary.cells).toEqual(expectedCells);
      const ports = [jobResult(local, 'base.manual.r1').gdbPort, jobResult(local, 'base.manual.r2').gdbPort];
      expect(new Set(ports).size).toBe(2);
      expect(r.stdout).toMatch(/^base\.manual +2\/3 +2\/2 +manual 2\/2 /m);
      expect(await qemusUnder(local)).toEqual([]);
    },
    15 * 60_000,
  );

  it(
    'leaves no VM when interrupted, and names each job it stopped',
    async () => {
      const child = execa('node', [LAB, 'matrix', '--run', local, '--jobs', '2'], { cwd, reject: false });
      const deadline = Date.now() + 120_000;
      while ((await qemusUnder(local)).length < 2 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 500));
      expect((await qemusUnder(local)).length).toBe(2);
      child.kill('SIGINT');
      const r = await child;
      expect(r.exitCode).toBe(130);
      expect(r.stderr).toMatch(/\] base\.manual\.r1: interrupted/);
      expect(r.stderr).toMatch(/\] base\.manual\.r2: interrupted/);
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(
        /^lab: matrix three interrupted: \d of 3 jobs had finished, no VM is left/,
      );
      expect(await qemusUnder(local)).toEqual([]);
    },
    5 * 60_000,
  );
});

describe('lab matrix --same-start', () => {
  it(
    "starts every job from the scenario's start moment: made once in the store, restored by the others",
    async () => {
      const same = path.join(cwd, 'same.json');
      writeFileSync(
        same,
        JSON.stringify({
          name: 'same',
          kernels: [{ name: 'base', profile: 'debian' }],
          scenarios: ['manual'],
          repeat: 2,
        }),
      );
      const out = path.join(cwd, 'same-start');
      const r = await lab(['matrix', same, '--same-start', '--out', out, '--jobs', '1', '--json'], { cwd });
      expect(r.exitCode, r.stderr).toBe(0);
      const starts = ['base.manual.r1', 'base.manual.r2'].map((id) => {
        const job = jobResult(out, id);
        expect(job).toMatchObject({ status: 'done', verdicts: [{ path: 'manual', fired: true }] });
        // the fragmenter was started for the moment, before it was saved: not by the run
        expect(JSON.parse(readFileSync(path.join(job.runDir, 'background.json'), 'utf8'))).toEqual([]);
        return JSON.parse(readFileSync(path.join(job.runDir, 'manifest.json'), 'utf8')).start;
      });
      // one moment: r2 restored the one r1 saved (or found), it did not make its own
      expect(starts[0]).toMatchObject({ moment: 'manual-fragmented', savedAt: expect.any(String) });
      expect(starts[1]).toEqual(starts[0]);
      expect(await qemusUnder(out)).toEqual([]);
    },
    30 * 60_000,
  );

  it('refuses a scenario with no start moment before building anything, in one line', async () => {
    const startless = path.join(cwd, 'startless.json');
    const spec = { name: 'startless', kernels: [{ name: 'base' }], scenarios: ['manual', 'stress'] };
    writeFileSync(startless, JSON.stringify(spec));
    const r = await lab(['matrix', startless, '--same-start', '--out', path.join(cwd, 'startless')], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/startless\.json with --same-start: sameStart: scenario "stress" names no start moment/),
    ]);
    expect(existsSync(path.join(cwd, 'startless'))).toBe(false);
  });
});

describe('lab matrix --slurm on a real Slurm', () => {
  const cluster = tempDir('slurm');
  const out = path.join(cwd, 'slurm');
  let env: NodeJS.ProcessEnv;
  const sacct = (args: string[]) => execa('sacct', args, { env, reject: false });

  beforeAll(async () => {
    const started = await execa('bash', [path.join(PROJECT, 'scripts', 'local-slurm.sh'), 'start', cluster], {
      reject: false,
    });
    expect(started.exitCode, started.stderr).toBe(0);
    env = { ...process.env, SLURM_CONF: started.stdout.trim().split('=').slice(1).join('=') };
  }, 120_000);

  afterAll(async () => {
    await execa('bash', [path.join(PROJECT, 'scripts', 'local-slurm.sh'), 'stop', cluster], { reject: false });
  });

  it(
    'runs the jobs as array tasks, gathers them, and names a cancelled task as missing',
    async () => {
      const sub = await lab(['matrix', spec, '--slurm', '--submit', '--out', out, '--json'], { cwd, env });
      expect(sub.exitCode, sub.stderr).toBe(0);
      const { submitted, tasks } = JSON.parse(sub.stdout);
      expect(tasks).toBe(3);
      // the node fits one task at a time: cancel the last while the first runs
      const deadline = Date.now() + 10 * 60_000;
      const stateOf = async (id: string) => (await sacct(['-j', id, '-P', '-n', '-o', 'JobID,State'])).stdout;
      while (!/_0\|RUNNING/.test(await stateOf(submitted.array)) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 1000));
      expect((await execa('scancel', [`${submitted.array}_2`], { env, reject: false })).exitCode).toBe(0);
      while (!/^\d+\|(COMPLETED|FAILED|CANCELLED)/m.test(await stateOf(submitted.gather)) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 2000));

      const status = await lab(['matrix', '--status', out, '--json'], { cwd, env });
      expect(status.exitCode).toBe(1);
      const s = JSON.parse(status.stdout);
      expect(s.build).toBe('COMPLETED');
      expect(s.gather).toBe('COMPLETED');
      expect(s.jobs.map((j: { id: string; state: string }) => `${j.id} ${j.state}`)).toEqual([
        'base.manual.r1 COMPLETED',
        'base.manual.r2 COMPLETED',
        expect.stringMatching(/^base\.manual\.r3 (CANCELLED|MISSING)$/),
      ]);
      const text = await lab(['matrix', '--status', out], { cwd, env });
      expect(text.stdout).toMatch(/^ {2}base\.manual\.r3 \(task 2\): (CANCELLED|missing)$/m);

      const gathered = summaryOf(out);
      expect(gathered).toMatchObject({
        jobs: 3,
        done: 2,
        failed: 0,
        missing: 1,
        problems: [{ id: 'base.manual.r3', status: 'missing' }],
      });
      // the same table as the run here (asserted there with the same constants, so this test runs alone):
      // same fields, same cells, same verdicts
      expect(Object.keys(gathered)).toEqual(expect.arrayContaining(SUMMARY_FIELDS));
      expect(gathered.cells).toEqual(expectedCells);
      expect(existsSync(path.join(out, 'labs', 'base.manual.r1', 'runs'))).toBe(true);
      expect(await qemusUnder(out)).toEqual([]);
    },
    20 * 60_000,
  );
});
