/**
 * The class cache end to end: the teacher's lab init, lab lock and lab
 * publish; the folder served over HTTP on 127.0.0.1; a student's lab demo on
 * an empty store that fetches the kernel and the initramfs, checks them
 * against lab.lock and records the seed's backtraces with nothing compiled
 * (no kernel source, no build root in the store); a cache with one byte
 * changed, refused by name and built instead; a lock older than the lab,
 * which lab publish refuses. lab verify --rebuild of a fetched lab (a cold
 * build, 20 minutes) runs in scripts/class-cache-check.sh.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { freePort, lab, PROJECT, tempDir } from '../helpers/cli.js';
import { closeServer } from '../helpers/http.js';
import { serveFolder, type Served } from '../helpers/static-server.js';

const teacher = tempDir('cache-teacher');
const published = tempDir('cache-published');
let web: Served;
let lock: { outputs: Record<string, string>; entries: Record<string, { entry: string; files: string }> };

const sha256Of = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A student's copy of the course: lab.json naming the cache, and lab.lock, in a folder of their own. */
function studentCourse(cache: string): string {
  const dir = tempDir('cache-student');
  // lab.json has comments (JSONC): the key goes in as a teacher would type it
  const text = readFileSync(path.join(teacher, 'lab.json'), 'utf8');
  writeFileSync(path.join(dir, 'lab.json'), text.replace('{', `{\n  "cache": ${JSON.stringify(cache)},`));
  cpSync(path.join(teacher, 'lab.lock'), path.join(dir, 'lab.lock'));
  return dir;
}

beforeAll(async () => {
  expect((await lab(['init'], { cwd: teacher })).exitCode).toBe(0);
  const locked = await lab(['lock'], { cwd: teacher, timeout: 40 * 60_000 });
  expect(locked.exitCode, locked.stderr).toBe(0);
  lock = JSON.parse(readFileSync(path.join(teacher, 'lab.lock'), 'utf8'));
  const pub = await lab(['publish', published, '--json'], { cwd: teacher, timeout: 10 * 60_000 });
  expect(pub.exitCode, pub.stderr).toBe(0);
  expect(JSON.parse(pub.stdout).entries.map((e: { name: string }) => e.name)).toEqual([
    'kernel',
    'initramfs',
    'debian image',
  ]);
  web = await serveFolder(published);
}, 45 * 60_000);

afterAll(async () => {
  if (web) await closeServer(web.server);
});

describe('lab publish', () => {
  it('writes each file once under its sha256 and one file list per entry lab.lock pins', () => {
    expect(Object.keys(lock.entries)).toEqual(['kernel', 'initramfs', 'debian image']);
    for (const pin of Object.values(lock.entries)) {
      const list = readFileSync(path.join(published, 'entries', `${pin.entry}.json`));
      expect(createHash('sha256').update(list).digest('hex')).toBe(pin.files);
    }
    expect(existsSync(path.join(published, 'files', lock.outputs.vmlinux!.slice(0, 2), lock.outputs.vmlinux!))).toBe(
      true,
    );
  });

  it('refuses a lab.lock that is not what the lab builds, in one line, writing nothing', async () => {
    const stale = tempDir('cache-stale');
    cpSync(path.join(teacher, 'lab.json'), path.join(stale, 'lab.json'));
    const text = readFileSync(path.join(teacher, 'lab.lock'), 'utf8');
    writeFileSync(path.join(stale, 'lab.lock'), text.replace(lock.outputs.vmlinux!, 'f'.repeat(64)));
    const out = path.join(stale, 'cache');
    const r = await lab(['publish', out], { cwd: stale, timeout: 10 * 60_000 });
    expect(r.exitCode).toBe(1);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('lab:')),
    ).toEqual([
      expect.stringMatching(
        /^lab: this machine's build of the lab is not what .*lab\.lock pins: vmlinux ffffffffffff -> [0-9a-f]{12}: run lab lock, then lab publish again$/,
      ),
    ]);
    expect(existsSync(out)).toBe(false);
  });
});

describe("a student's empty store and the class cache", () => {
  it(
    'lab demo fetches the kernel and initramfs, checks them against lab.lock, compiles nothing, ' +
      "and records the seed's backtraces",
    async () => {
      const student = studentCourse(web.url);
      const store = tempDir('cache-store');
      const env = { LAB_CACHE: store };
      try {
        const r = await lab(['demo', '--gdb-port', String(await freePort())], { cwd: student, env });
        expect(r.exitCode, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/^\s+\d+\s+compact_zone$/m);
        expect(r.stdout).toMatch(/#0 {2}compact_unlock_should_abort \(\) at mm\/compaction\.c:\d+ \[inlined\]/);
        expect(r.stdout).toMatch(/in isolate_freepages_block \(\)/);
        const build = JSON.parse(readFileSync(path.join(student, '.lab', 'build.json'), 'utf8'));
        expect(build.fetched).toMatchObject({
          cache: web.url,
          entries: [
            { name: 'kernel', entry: lock.entries.kernel!.entry },
            { name: 'initramfs', entry: lock.entries.initramfs!.entry },
          ],
        });
        expect(sha256Of(build.kernel.vmlinux)).toBe(lock.outputs.vmlinux);
        expect(sha256Of(build.rootfs.file)).toBe(lock.outputs.initramfs);
        // nothing was compiled: no kernel source, no build root, no config was ever made
        for (const kind of ['sources', 'roots', 'configs']) expect(existsSync(path.join(store, kind))).toBe(false);
        expect(r.stderr).not.toMatch(/building instead/);
        // a hand-in from the fetched kernel is checked like one from a kernel built here
        const bundle = path.join(student, 'ada.tar.gz');
        const packed = await lab(['pack', '--student', 'ada', '-o', bundle], { cwd: student, env });
        expect(packed.exitCode, packed.stderr).toBe(0);
        const checked = await lab(['check', bundle, '--exercise', 'seed-breakpoints', '--json'], { cwd: teacher });
        expect(checked.exitCode, checked.stdout + checked.stderr).toBe(0);
        expect(JSON.parse(checked.stdout).rows.map((x: { exercise: string; result: string }) => x.result)).toEqual([
          'pass',
          'pass',
        ]);
      } finally {
        await lab(['down'], { cwd: student, env });
      }
    },
    15 * 60_000,
  );

  it(
    'a cache with one byte of the initramfs changed is refused by name, and lab builds the initramfs instead',
    async () => {
      const changed = tempDir('cache-changed');
      cpSync(published, changed, { recursive: true });
      const initramfs = path.join(changed, 'files', lock.outputs.initramfs!.slice(0, 2), lock.outputs.initramfs!);
      const bytes = readFileSync(initramfs);
      bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0x20;
      writeFileSync(initramfs, bytes);
      const bad = await serveFolder(changed);
      try {
        const student = studentCourse(bad.url);
        const store = tempDir('cache-store-bad');
        const r = await lab(['build', '--rootfs', 'initramfs'], {
          cwd: student,
          env: { LAB_CACHE: store },
          timeout: 30 * 60_000,
        });
        expect(r.exitCode, r.stderr).toBe(0);
        const entry = lock.entries.initramfs!.entry;
        expect(r.stderr).toContain(
          `lab: class cache ${bad.url}: ${entry}/initramfs.cpio: the cache sent bytes with sha256 `,
        );
        expect(r.stderr).toMatch(/, lab\.lock's file list says [0-9a-f]{12}…; building instead/);
        const build = JSON.parse(readFileSync(path.join(student, '.lab', 'build.json'), 'utf8'));
        // the kernel came whole from the cache before the initramfs was refused; the initramfs was built here
        expect(build.rootfs.cached).toBe(false);
        expect(sha256Of(build.rootfs.file)).toBe(lock.outputs.initramfs);
        expect(build.kernel.cached).toBe(true);
        expect(statSync(path.join(store, entry)).isDirectory()).toBe(true);
        expect(readdirSync(path.join(store, 'tmp'))).toEqual([]);
      } finally {
        await closeServer(bad.server);
      }
    },
    35 * 60_000,
  );
});

describe('a matrix on a real Slurm whose kernel names a lab.json with a class cache', () => {
  const cluster = tempDir('cache-slurm');
  let env: NodeJS.ProcessEnv;
  const slurm = (cmd: 'start' | 'stop') =>
    execa('bash', [path.join(PROJECT, 'scripts', 'local-slurm.sh'), cmd, cluster], { reject: false });

  beforeAll(async () => {
    const started = await slurm('start');
    expect(started.exitCode, started.stderr).toBe(0);
    env = { ...process.env, SLURM_CONF: started.stdout.trim().split('=').slice(1).join('=') };
  }, 120_000);

  afterAll(async () => {
    await slurm('stop');
  });

  it(
    'fetches the lab once into an empty store, and no kernel is compiled, before the jobs or on their node',
    async () => {
      const student = studentCourse(web.url);
      const spec = path.join(student, 'fetched.json');
      writeFileSync(
        spec,
        JSON.stringify({ name: 'fetched', kernels: [{ name: 'course', lab: 'lab.json' }], scenarios: ['manual'] }),
      );
      const out = path.join(student, 'out');
      const store = tempDir('cache-matrix-store');
      const jobEnv = { ...env, LAB_CACHE: store };
      const sub = await lab(['matrix', spec, '--slurm', '--submit', '--out', out, '--json'], {
        cwd: student,
        env: jobEnv,
      });
      expect(sub.exitCode, sub.stderr).toBe(0);
      const { submitted } = JSON.parse(sub.stdout);
      const deadline = Date.now() + 25 * 60_000;
      const gathered = async () =>
        /^\d+\|(COMPLETED|FAILED|CANCELLED)/m.test(
          (await execa('sacct', ['-j', submitted.gather, '-P', '-n', '-o', 'JobID,State'], { env, reject: false }))
            .stdout,
        );
      while (!(await gathered()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2000));
      const jobFile = path.join(out, 'labs', 'course.manual.r1', 'job.json');
      const job = existsSync(jobFile) ? JSON.parse(readFileSync(jobFile, 'utf8')) : { status: 'missing' };
      expect(job.status, JSON.stringify(job)).toBe('done');
      const status = await lab(['matrix', '--status', out, '--json'], { cwd: student, env: jobEnv });
      const s = JSON.parse(status.stdout);
      expect(s.build).toBe('COMPLETED');
      expect(s.jobs.map((j: { id: string; state: string }) => `${j.id} ${j.state}`)).toEqual([
        'course.manual.r1 COMPLETED',
      ]);
      const build = JSON.parse(readFileSync(path.join(out, 'kernels', 'course', 'build.json'), 'utf8'));
      expect(build.fetched.entries.map((e: { name: string }) => e.name)).toEqual(['kernel', 'debian image']);
      // no kernel source, build root or kernel build log anywhere: nothing was compiled
      for (const kind of ['sources', 'roots', 'configs']) expect(existsSync(path.join(store, kind))).toBe(false);
      const logs = readdirSync(out, { recursive: true }).map(String);
      expect(logs.filter((f) => f.endsWith('kernel-build.log'))).toEqual([]);
    },
    30 * 60_000,
  );
});
