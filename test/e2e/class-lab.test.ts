/**
 * The class lab end to end: lab init, a demo run, lab lock and lab verify,
 * lab pack and lab check (a passing bundle, one whose hits lack compact_zone,
 * one with a ../ entry, 40 bundles), and gdb listing sources from the
 * prefix-mapped kernel. Two cold builds in two stores, the byte-for-byte
 * acceptance, take 20 minutes: scripts/reproducibility-check.sh runs them.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_PREFIX } from '../../src/kernel/plan.js';
import { freePort, lab, tempDir } from '../helpers/cli.js';

const cwd = tempDir('class');
const labDir = path.join(cwd, '.lab');
let demoRun: string;
let build: { kernel: { vmlinux: string; sourceId: string } };
/** lab lock's result: lab.lock, which the verify tests compare against and every bundle names, exists for each test. */
let locked: Awaited<ReturnType<typeof lab>>;

beforeAll(async () => {
  const init = await lab(['init'], { cwd });
  expect(init.exitCode, init.stderr).toBe(0);
  const demo = await lab(['demo', '--gdb-port', String(await freePort()), '--json'], { cwd });
  expect(demo.exitCode, demo.stderr).toBe(0);
  demoRun = JSON.parse(demo.stdout).runDir;
  const proactive = await lab(['run', 'proactive', '--json'], { cwd, timeout: 10 * 60_000 });
  expect(proactive.exitCode, proactive.stderr).toBe(0);
  build = JSON.parse(readFileSync(path.join(labDir, 'build.json'), 'utf8'));
  locked = await lab(['lock', '--json'], { cwd, timeout: 20 * 60_000 });
}, 45 * 60_000);

afterAll(async () => {
  await lab(['down'], { cwd });
});

describe('lab.json', () => {
  it(
    'is what every command uses: the build record names the lab, ' +
      'and a broken lab.json stops a build with one line and exit 2',
    async () => {
      expect(JSON.parse(readFileSync(path.join(labDir, 'build.json'), 'utf8')).profile).toBe('compaction-course');
      const broken = tempDir('class-broken');
      writeFileSync(
        path.join(broken, 'lab.json'),
        readFileSync(path.join(cwd, 'lab.json'), 'utf8').replace('"profile": "debian"', '"profile": 6'),
      );
      const r = await lab(['build'], { cwd: broken });
      expect(r.exitCode).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([
        `lab: ${path.join(broken, 'lab.json')}: profile: Invalid input: expected string, received number: fix lab.json`,
      ]);
      expect(existsSync(path.join(broken, '.lab'))).toBe(false);
    },
  );
});

describe('lab lock and lab verify', () => {
  it(
    'pins every input and output, and verify on the same machine says all same',
    async () => {
      expect(locked.exitCode, locked.stderr).toBe(0);
      const lock = JSON.parse(readFileSync(path.join(cwd, 'lab.lock'), 'utf8'));
      expect(Object.keys(lock.outputs).sort()).toEqual(['bzImage', 'debian image', 'initramfs', 'vmlinux']);
      expect(Object.keys(lock.inputs.fragments)).toEqual(['lab.config', 'systemd.config']);
      expect(lock.inputs.guestPackages['openssh-server']).toMatch(/^1:9\./);
      expect(lock.inputs.gdb).toMatch(/^GNU gdb/);
      const verified = await lab(['verify'], { cwd, timeout: 10 * 60_000 });
      expect(verified.exitCode, verified.stdout + verified.stderr).toBe(0);
      expect(verified.stdout).toMatch(/every item lab builds from .*lab\.lock is the same here/);
      expect(verified.stdout).not.toMatch(/DIFFERENT/);
    },
    30 * 60_000,
  );

  it(
    'names the fragment, the .config and the kernel when they differ from the pins',
    async () => {
      expect(locked.exitCode, locked.stderr).toBe(0);
      const other = tempDir('class-verify');
      copyFileSync(path.join(cwd, 'lab.json'), path.join(other, 'lab.json'));
      const lock = JSON.parse(readFileSync(path.join(cwd, 'lab.lock'), 'utf8'));
      lock.inputs.fragments['lab.config'] = '0'.repeat(64);
      lock.inputs.kernelConfig = '1'.repeat(64);
      lock.outputs.bzImage = '2'.repeat(64);
      lock.inputs.guestPackages.bash = '0.0-1';
      writeFileSync(path.join(other, 'lab.lock'), JSON.stringify(lock));
      const r = await lab(['verify', '--json'], { cwd: other, timeout: 10 * 60_000 });
      expect(r.exitCode).toBe(1);
      const differ = JSON.parse(r.stdout).rows.filter((x: { same: boolean }) => !x.same);
      expect(differ.map((x: { item: string }) => x.item)).toEqual([
        'kernel .config',
        'fragment lab.config',
        'guest packages',
        'bzImage',
      ]);
      expect(differ[2].detail).toMatch(/^bash moved 0\.0-1 -> 5\.2/);
    },
    20 * 60_000,
  );
});

describe('lab pack and lab check', () => {
  // the demo run's bundle, which every test here checks: packed once, so each test also runs alone
  const good = path.join(cwd, 'ada.tar.gz');
  let packed: Awaited<ReturnType<typeof lab>>;
  beforeAll(async () => {
    packed = await lab(['pack', '--student', 'ada', '-o', good, '--json'], { cwd });
  });

  it('packs the demo run without the ssh key or the image, and the bundle passes the seed exercise', async () => {
    expect(packed.exitCode, packed.stderr).toBe(0);
    const names: string[] = [];
    await tar.list({ file: good, onReadEntry: (e) => void names.push(e.path) });
    expect(names[0]).toBe('bundle.json');
    expect(names).toContain(`runs/${path.basename(demoRun)}/hits.jsonl`);
    expect(names).toContain('config.diff');
    expect(names.filter((n) => /id_|\.ext4|\.qcow2|\.cpio/.test(n))).toEqual([]);
    const checked = await lab(['check', good, '--exercise', 'seed-breakpoints', '--json'], { cwd });
    expect(checked.exitCode, checked.stdout + checked.stderr).toBe(0);
    const rows = JSON.parse(checked.stdout).rows;
    expect(rows.map((r: { exercise: string; result: string }) => `${r.exercise} ${r.result}`)).toEqual([
      '(lab.lock) pass',
      'seed-breakpoints pass',
    ]);
    expect(rows[1].evidence).toMatch(/compact_zone 1.*frames have compact_zone, sysctl_compaction_handler/);
  });

  it('agrees with lab exercises: the demo and the proactive run are the two exercises done', async () => {
    const listed = await lab(['exercises', '--json'], { cwd });
    expect(listed.exitCode, listed.stderr).toBe(0);
    const states = JSON.parse(listed.stdout).exercises.map((e: { name: string; state: string }) => [e.name, e.state]);
    const done = states.filter(([, state]: [string, string]) => state === 'done').map(([name]: [string]) => name);
    expect(done).toEqual(['seed-breakpoints', 'proactive']);
    const checked = await lab(['check', good, '--json'], { cwd });
    const passed = JSON.parse(checked.stdout)
      .rows.filter((r: { exercise: string; result: string }) => r.result === 'pass' && !r.exercise.startsWith('('))
      .map((r: { exercise: string }) => r.exercise);
    expect(passed).toEqual(done);
  });

  it('fails the seed exercise by name for a bundle whose hits lack compact_zone', async () => {
    const id = `${path.basename(demoRun)}-nozone`;
    const dir = path.join(labDir, 'runs', id);
    cpSync(demoRun, dir, { recursive: true });
    const hits = readFileSync(path.join(dir, 'hits.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l && JSON.parse(l).breakpoint !== 'compact_zone');
    writeFileSync(path.join(dir, 'hits.jsonl'), hits.join('\n') + '\n');
    const bundle = path.join(cwd, 'bob.tar.gz');
    expect((await lab(['pack', id, '--student', 'bob', '-o', bundle], { cwd })).exitCode).toBe(0);
    const r = await lab(['check', bundle, '--exercise', 'seed-breakpoints'], { cwd });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/bob\s+seed-breakpoints\s+fail\s+.*no hit in compact_zone/);
  });

  it('refuses a bundle with a ../ entry in one row, writes nothing outside, and checks the others', async () => {
    const evil = tempDir('class-evil');
    mkdirSync(path.join(evil, 'in'));
    writeFileSync(path.join(evil, 'in', 'bundle.json'), '{}');
    writeFileSync(path.join(evil, 'escape-marker'), 'x');
    const file = path.join(evil, 'mallory.tar.gz');
    await tar.create({ gzip: true, file, cwd: path.join(evil, 'in'), preservePaths: true }, [
      'bundle.json',
      '../escape-marker',
    ]);
    const r = await lab(['check', file, good, '--exercise', 'seed-breakpoints', '--json'], { cwd });
    expect(r.exitCode).toBe(1);
    const rows = JSON.parse(r.stdout).rows;
    expect(rows[0]).toMatchObject({
      bundle: 'mallory.tar.gz',
      result: 'refused',
      evidence: 'mallory.tar.gz refused: entry ../escape-marker climbs out of the bundle ("..")',
    });
    expect(rows.slice(1).every((x: { result: string }) => x.result === 'pass')).toBe(true);
    expect(readdirSync(path.dirname(evil)).filter((n) => n === 'escape-marker')).toEqual([]);
  });

  it('checks 40 bundles, one row per student and exercise', async () => {
    const many = tempDir('class-40');
    const files = Array.from({ length: 40 }, (_, i) => {
      const f = path.join(many, `student-${i}.tar.gz`);
      copyFileSync(good, f);
      return f;
    });
    const started = Date.now();
    const r = await lab(['check', ...files, '--json'], { cwd });
    const seconds = (Date.now() - started) / 1000;
    const out = JSON.parse(r.stdout);
    expect(out.bundles).toBe(40);
    expect(out.rows).toHaveLength(40 * 7);
    console.log(
      `lab check: 40 bundles, ${out.rows.length} rows in ` +
        `${seconds.toFixed(1)} s (${out.seconds.toFixed(1)} s inside lab)`,
    );
  });
});

describe('forged hand-ins', () => {
  it(
    'are each caught by at least one check, and the real bundle of a demo and a scenario passes them all',
    async () => {
      const script = fileURLToPath(new URL('../../scripts/forged-bundles.mjs', import.meta.url));
      const r = await execa('node', [script, cwd, '--json'], { reject: false, timeout: 10 * 60_000 });
      expect(r.exitCode, r.stderr).toBe(0);
      const table: Array<{ bundle: string; expected: string; caught: string[] }> = JSON.parse(r.stdout);
      const real = table.filter((t) => t.expected === 'pass');
      expect(real.map((t) => [t.bundle, t.caught])).toEqual([['real: demo and proactive', []]]);
      const forged = table.filter((t) => t.expected === 'caught');
      expect(forged.length).toBeGreaterThanOrEqual(8);
      expect(forged.filter((t) => t.caught.length === 0).map((t) => t.bundle)).toEqual([]);
      const by = Object.fromEntries(forged.map((t) => [t.bundle, t.caught]));
      expect(by['pc moved by one instruction']).toContain('vmlinux');
      expect(by['function renamed']).toContain('vmlinux');
      expect(by['real run, one counter edited']).toContain('evidence');
      expect(by["a classmate's run under another name"]).toContain('shared runs');
      expect(by['packed against another lab.lock']).toContain('lab.lock');
    },
    15 * 60_000,
  );
});

describe('a prefix-mapped kernel', () => {
  it(
    'names no path of this machine in vmlinux, and gdb ' + 'lists compact_zone from the store through substitute-path',
    async () => {
      const store = path.dirname(path.dirname(path.dirname(build.kernel.vmlinux)));
      const sources = path.join(store, 'sources', build.kernel.sourceId);
      const vmlinux = readFileSync(build.kernel.vmlinux);
      expect(vmlinux.includes(Buffer.from(store))).toBe(false);
      expect(vmlinux.includes(Buffer.from(`${SOURCE_PREFIX}/mm`))).toBe(true);
      const gdb = (extra: string[]) =>
        execa('gdb', ['-nx', '-q', '-batch', ...extra, '-ex', 'list compact_zone', build.kernel.vmlinux], {
          reject: false,
        });
      const mapped = await gdb(['-iex', `set substitute-path ${SOURCE_PREFIX} ${sources}`]);
      expect(mapped.stdout).toMatch(/compact_zone\(struct compact_control \*cc/);
      const unmapped = await gdb([]);
      expect(unmapped.stdout + unmapped.stderr).toMatch(/\/lab\/linux\/mm\/compaction\.c/);
    },
  );
});
