// Issue 13's shared-store acceptance on a real kernel build (two cold builds,
// about 10 minutes here): in a store that has everything but the kernel,
//   1. two `lab build`s race for the same kernel: one make runs, the other waits;
//   2. a `lab build` is killed with SIGKILL mid-make: no entry, no make left
//      running, and the next `lab build` proceeds without manual cleanup.
// Prints its figures and exits non-zero when a property fails.
//   node scripts/store-race.mjs        (after npm run build; the store holds the debian profile)
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const LAB = path.resolve(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const home = process.env.LAB_CACHE ?? path.join(os.homedir(), '.cache', 'lab');
const env = { ...process.env, LAB_PROFILE: process.env.LAB_PROFILE ?? 'debian' };
let failed = 0;

function check(what, ok, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
  if (!ok) failed++;
}

/** A store with everything but kernels, hard-linked from the user's: a kernel build in it is cold. */
async function coldStore() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'lab-race-store-'));
  for (const d of readdirSync(home))
    if (!['kernels', 'tmp', 'partial', 'locks'].includes(d)) await execa('cp', ['-al', path.join(home, d), root]);
  return root;
}

const build = (store, cwd) =>
  execa('node', [LAB, 'build', '--rootfs', 'initramfs', '--json'], {
    cwd,
    env: { ...env, LAB_CACHE: store },
    reject: false,
  });
const labDir = () => mkdtempSync(path.join(os.tmpdir(), 'lab-race-'));
const makesIn = async (dir) =>
  (await execa('pgrep', ['-f', `O=${dir}`], { reject: false })).stdout.split('\n').filter(Boolean).length;
const kernelLog = (cwd) => path.join(cwd, '.lab', 'logs', 'kernel-build.log');
const makeRan = (cwd) => existsSync(kernelLog(cwd)) && /^\s+CC\s/m.test(readFileSync(kernelLog(cwd), 'utf8'));

// 1. the race
{
  const store = await coldStore();
  const [a, b] = [labDir(), labDir()];
  const t0 = performance.now();
  const [ra, rb] = await Promise.all([build(store, a), build(store, b)]);
  const wall = (performance.now() - t0) / 1000;
  check(
    'both builds succeed',
    ra.exitCode === 0 && rb.exitCode === 0,
    `${ra.exitCode}, ${rb.exitCode} ${ra.stderr.slice(-300)} ${rb.stderr.slice(-300)}`,
  );
  const [ja, jb] = [JSON.parse(ra.stdout), JSON.parse(rb.stdout)];
  check(
    'one kernel key, one entry',
    ja.kernel.key === jb.kernel.key && readdirSync(path.join(store, 'kernels')).length === 1,
  );
  check(
    'one make ran (one build log with compiler lines)',
    [makeRan(a), makeRan(b)].filter(Boolean).length === 1,
    `make in A: ${makeRan(a)}, in B: ${makeRan(b)}`,
  );
  check('one build says cached', [ja.kernel.cached, jb.kernel.cached].filter(Boolean).length === 1);
  const waited = [ra.stderr, rb.stderr].find((s) => /waiting for lab process \d+/.test(s));
  check('the other said whom it waited for', !!waited, waited?.match(/lab: waiting for [^\n]*/)?.[0]);
  console.log(`race: ${wall.toFixed(1)} s wall for both`);
  await execa('rm', ['-rf', store, a, b]);
}

// 2. SIGKILL mid-build, then the next build
{
  const store = await coldStore();
  const a = labDir();
  const doomed = build(store, a);
  const deadline = Date.now() + 300_000;
  while (!(existsSync(kernelLog(a)) && /^\s+CC\s/m.test(readFileSync(kernelLog(a), 'utf8')))) {
    if (Date.now() > deadline) throw new Error('no compiler line within 300 s');
    await new Promise((r) => setTimeout(r, 500));
  }
  await new Promise((r) => setTimeout(r, 20_000));
  const scratch = readdirSync(path.join(store, 'tmp')).map((n) => path.join(store, 'tmp', n));
  doomed.kill('SIGKILL');
  await doomed;
  const makesAfterKill = (await Promise.all(scratch.map(makesIn))).reduce((x, y) => x + y, 0);
  console.log(`killed lab ${doomed.pid} mid-make; make processes still running in its scratch tree: ${makesAfterKill}`);
  check(
    'no kernel entry after the kill',
    !existsSync(path.join(store, 'kernels')) || readdirSync(path.join(store, 'kernels')).length === 0,
  );
  const b = labDir();
  const t0 = performance.now();
  const rb = await build(store, b);
  const wall = (performance.now() - t0) / 1000;
  check('the next build proceeds without manual cleanup', rb.exitCode === 0, rb.stderr.slice(-300));
  check(
    'it built (not cached) and left no scratch or lock behind',
    JSON.parse(rb.stdout || '{}').kernel?.cached === false &&
      readdirSync(path.join(store, 'tmp')).length === 0 &&
      readdirSync(path.join(store, 'locks')).length === 0,
  );
  check(
    "the killed build's make is gone",
    (await Promise.all(scratch.map(makesIn))).every((n) => n === 0),
  );
  console.log(`after the kill: the next build took ${wall.toFixed(1)} s`);
  await execa('rm', ['-rf', store, a, b]);
}

console.log(failed ? `store race: ${failed} check(s) failed` : 'store race: all checks hold');
process.exit(failed ? 1 : 0);
