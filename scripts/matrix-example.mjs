// Issue 13's matrix acceptance, on matrices/example.json (2 kernels × 2
// scenarios × 2 repeats = 8 jobs): builds the second kernel if the store
// lacks it, runs the jobs here with --jobs 2 and with --jobs 1 (wall times and
// their ratio), then submits the same spec to a private one-node Slurm
// (scripts/local-slurm.sh) and waits for its gather step. Prints the figures;
// exits non-zero when a job does not fire as expected or a task does not complete.
//   node scripts/matrix-example.mjs      (after npm run build; 20-30 minutes here)
import { execa } from 'execa';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const LAB = path.join(ROOT, 'dist', 'cli', 'main.js');
const SPEC = path.join(ROOT, 'matrices', 'example.json');
const work = mkdtempSync(path.join(os.tmpdir(), 'lab-matrix-example-'));
let failed = 0;
const check = (what, ok, detail = '') => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
  if (!ok) failed++;
};
const lab = (args, env = process.env) =>
  execa('node', [LAB, ...args], { cwd: work, env, reject: false, stderr: 'inherit' });
const seconds = async (f) => {
  const t0 = performance.now();
  const r = await f();
  return { r, s: (performance.now() - t0) / 1000 };
};
const summary = (out) => JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
const allFired = (s) => s.done === s.jobs && s.cells.every((c) => c.ok === c.runs);

const here = path.join(work, 'here');
const prep = await seconds(() => lab(['matrix', SPEC, '--prepare-only', '--out', here, '--json']));
check('prepare (build each kernel once, write the jobs)', prep.r.exitCode === 0);
const plan = JSON.parse(prep.r.stdout);
console.log(
  `prepare: ${prep.s.toFixed(1)} s; kernels ` +
    `${plan.kernels
      .map((k) => `${k.name} ${k.key} ` + `${k.cached ? 'cached' : `built in ${k.seconds.toFixed(0)} s`}`)
      .join(', ')}`,
);

const two = await seconds(() => lab(['matrix', '--run', here, '--jobs', '2']));
const s2 = summary(here);
check('--jobs 2: all 8 jobs done and as expected', two.r.exitCode === 0 && allFired(s2), `${s2.done}/${s2.jobs} done`);
console.log(two.r.stdout);
const one = await seconds(() => lab(['matrix', '--run', here, '--jobs', '1']));
const s1 = summary(here);
check('--jobs 1: all 8 jobs done and as expected', one.r.exitCode === 0 && allFired(s1), `${s1.done}/${s1.jobs} done`);
console.log(one.r.stdout);
console.log(
  `wall: --jobs 2 ${two.s.toFixed(1)} s, --jobs 1 ${one.s.toFixed(1)} s, ratio ${(one.s / two.s).toFixed(2)}`,
);

const cluster = path.join(work, 'slurm-cluster');
const started = await execa('bash', [path.join(ROOT, 'scripts', 'local-slurm.sh'), 'start', cluster], {
  reject: false,
});
check('a private Slurm starts', started.exitCode === 0, started.stderr);
const env = { ...process.env, SLURM_CONF: started.stdout.trim().split('=').slice(1).join('=') };
try {
  const out = path.join(work, 'slurm');
  const t0 = performance.now();
  const sub = await lab(['matrix', SPEC, '--slurm', '--submit', '--out', out, '--json'], env);
  check('sbatch accepted the build step, the array and the gather step', sub.exitCode === 0);
  const { submitted } = JSON.parse(sub.stdout);
  for (;;) {
    const r = await execa('sacct', ['-j', submitted.gather, '-P', '-n', '-o', 'JobID,State'], { env, reject: false });
    if (/^\d+\|(COMPLETED|FAILED|CANCELLED)/m.test(r.stdout)) break;
    await new Promise((res) => setTimeout(res, 5000));
  }
  const wall = (performance.now() - t0) / 1000;
  const status = JSON.parse((await lab(['matrix', '--status', out, '--json'], env)).stdout);
  check(
    'every array task COMPLETED in sacct',
    status.jobs.every((j) => j.state === 'COMPLETED'),
    status.jobs.map((j) => `${j.id} ${j.state}`).join(', '),
  );
  const ss = summary(out);
  check('gathered: all 8 done and as expected', allFired(ss));
  check(
    'the same table as here',
    JSON.stringify(ss.cells.map((c) => [c.cell, c.runs, c.verdicts.map((v) => v.path)])) ===
      JSON.stringify(s2.cells.map((c) => [c.cell, c.runs, c.verdicts.map((v) => v.path)])),
  );
  console.log(`slurm: submit to gathered ${wall.toFixed(1)} s (one task at a time on this 2-core node)`);
} finally {
  await execa('bash', [path.join(ROOT, 'scripts', 'local-slurm.sh'), 'stop', cluster], { reject: false });
}
console.log(failed ? `matrix example: ${failed} check(s) failed` : 'matrix example: all checks hold');
process.exit(failed ? 1 : 0);
