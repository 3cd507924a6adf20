/**
 * lab as a course repository gets it: the real `npm pack` of this checkout's
 * files (as a clean clone has them: no dist/, nothing git ignores), then
 * `npm i` of the tarball in an empty directory and lab's commands run there
 * with npx. What lab reads at run time must come from the installed package,
 * what it writes must land in the course directory. The demo itself (a kernel
 * build and a boot) runs once, in scripts/fresh-machine-test.sh.
 */
import { execa, execaSync } from 'execa';
import {
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT, tempDir } from '../helpers/cli.js';

/**
 * The environment without what npm sets for the script that runs vitest
 * (npm_package_*, npm_lifecycle_*, the local prefix): the nested npm finds
 * its own project, as in a shell. A user's npm settings (cache, registry,
 * cafile) stay.
 */
function npmEnv(): NodeJS.ProcessEnv {
  const scriptOnly = /^npm_(?!config_)|^npm_config_(local_prefix|prefix|global_prefix|global|dry_run|json)$/;
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !scriptOnly.test(k)));
}

function run(file: string, args: string[], cwd: string) {
  return execa(file, args, { cwd, env: npmEnv(), extendEnv: false, reject: false, stdin: 'ignore', timeout: 180_000 });
}

/** npx --no: never fetch a package called lab from the registry when the local one is missing. */
const npxLab = (args: string[], cwd: string) => run('npx', ['--no', 'lab', ...args], cwd);

/** The checkout as a clean clone has it: tracked files and new ones git does not ignore, nothing built. */
function cleanCopy(to: string): void {
  const listed = execaSyncLines('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  for (const rel of listed) {
    const from = path.join(PROJECT, rel);
    if (rel === 'node_modules' || !existsSync(from) || !lstatSync(from).isFile()) continue;
    mkdirSync(path.dirname(path.join(to, rel)), { recursive: true });
    copyFileSync(from, path.join(to, rel));
  }
}

function execaSyncLines(file: string, args: string[]): string[] {
  const r = execaSync(file, args, { cwd: PROJECT, stripFinalNewline: false });
  return String(r.stdout).split('\0').filter(Boolean);
}

/** What the checkout has under a folder, as paths from the project root. */
function checkoutFiles(dir: string): string[] {
  return readdirSync(path.join(PROJECT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.parentPath.includes('__pycache__'))
    .map((e) => path.relative(PROJECT, path.join(e.parentPath, e.name)));
}

interface Packed {
  filename: string;
  entryCount: number;
  size: number;
  unpackedSize: number;
  files: Array<{ path: string; mode: number }>;
}

const work = tempDir('npm-pack');
const checkout = path.join(work, 'lab');
const out = path.join(work, 'out');
const course = path.join(work, 'course');
let packed: Packed;
let installed: string;

beforeAll(async () => {
  const t0 = Date.now();
  cleanCopy(checkout);
  // the build tools (tsc for prepare) from this checkout, as npm ci would install them
  symlinkSync(realpathSync(path.join(PROJECT, 'node_modules')), path.join(checkout, 'node_modules'));
  mkdirSync(out);
  const pack = await run('npm', ['pack', '--json', '--pack-destination', out], checkout);
  expect(pack.exitCode, String(pack.stderr)).toBe(0);
  packed = (JSON.parse(String(pack.stdout)) as Packed[])[0]!;
  const t1 = Date.now();

  mkdirSync(course);
  await writeFile(path.join(course, 'package.json'), JSON.stringify({ name: 'course', private: true }) + '\n');
  const install = await run(
    'npm',
    ['i', '--prefer-offline', '--no-audit', '--no-fund', path.join(out, packed.filename)],
    course,
  );
  expect(install.exitCode, String(install.stderr)).toBe(0);
  installed = path.join(course, 'node_modules', 'lab');
  console.log(`npm pack ${((t1 - t0) / 1000).toFixed(1)} s, npm i ${((Date.now() - t1) / 1000).toFixed(1)} s`);
}, 300_000);

// the course's node_modules is some 30 MB
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack', () => {
  const paths = () => packed.files.map((f) => f.path);

  it('holds only what lab reads at run time: no tests, benchmarks, docs, sources or source maps', () => {
    expect([...new Set(paths().map((p) => p.split('/')[0]!))].sort()).toEqual([
      'README.md',
      'courses',
      'deps',
      'dist',
      'drgn-scripts',
      'gdb-scripts',
      'image',
      'kernel-configs',
      'package.json',
      'profiles',
      'qemu',
      'scenarios',
      'scripts',
      'src',
    ]);
    expect(paths().filter((p) => p.startsWith('scripts/'))).toEqual(['scripts/install-deps.sh']);
    expect(paths().filter((p) => p.startsWith('deps/'))).toEqual(['deps/host-packages.txt']);
    // the report page's own scripts, read as files when a report is written
    expect(paths().filter((p) => p.startsWith('src/') && !p.startsWith('src/report/page/'))).toEqual([]);
    expect(paths().filter((p) => /\.(png|map|ts)$|__pycache__|^gdb-scripts\/tests\//.test(p))).toEqual([]);
  });

  it('holds the compiled CLI, built at pack time: a .js for every source file', () => {
    expect(existsSync(path.join(checkout, 'dist'))).toBe(true);
    const sources = checkoutFiles('src')
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js'));
    expect(sources).toContain('dist/cli/main.js');
    expect(sources.filter((js) => !paths().includes(js))).toEqual([]);
  });

  it('runs bin/lab as the bundle, its chunks beside it', () => {
    expect(JSON.parse(readFileSync(path.join(checkout, 'package.json'), 'utf8')).bin).toEqual({ lab: 'dist/lab.js' });
    expect(paths()).toContain('dist/lab.js');
    expect(paths().filter((p) => p.startsWith('dist/lab-chunks/') && p.endsWith('.js')).length).toBeGreaterThan(0);
  });

  it("holds every file of the folders lab reads from its package, the guest's programs still executable", () => {
    const assets = [
      'courses',
      'drgn-scripts',
      'gdb-scripts/lab_gdb',
      'image',
      'kernel-configs',
      'profiles',
      'qemu',
      'scenarios',
    ];
    const wanted = [
      ...assets.flatMap(checkoutFiles),
      ...readdirSync(path.join(PROJECT, 'gdb-scripts'))
        .filter((f) => f.endsWith('.py'))
        .map((f) => `gdb-scripts/${f}`),
      ...checkoutFiles('src/report/page'),
    ];
    expect(wanted).toEqual(
      expect.arrayContaining(['profiles/debian.json', 'kernel-configs/lab.config', 'gdb-scripts/lab_recorder.py']),
    );
    expect(wanted.filter((f) => !paths().includes(f))).toEqual([]);
    const mode = (p: string) => packed.files.find((f) => f.path === p)!.mode & 0o777;
    for (const exe of ['image/initramfs/init', 'image/common/lab-exec', 'scripts/install-deps.sh']) {
      expect(mode(exe).toString(8), exe).toBe('755');
      expect(statSync(path.join(installed, exe)).mode & 0o100, exe).toBeTruthy();
    }
  });

  it('installs without the dev tools: no node-pty to compile, no browser driver', () => {
    expect(existsSync(path.join(installed, 'dist', 'lab.js'))).toBe(true);
    for (const dev of ['node-pty', 'puppeteer-core', 'typescript', 'vitest', 'esbuild'])
      expect(existsSync(path.join(course, 'node_modules', dev)), dev).toBe(false);
  });
});

describe('lab installed in a course repository', () => {
  it('lab init writes lab.json and the exercise texts in the course directory, copied from the package', async () => {
    const r = await npxLab(['init', '--json'], course);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const init = JSON.parse(String(r.stdout)) as { file: string; from: string; texts: string[] };
    expect(init.file).toBe(path.join(realpathSync(course), 'lab.json'));
    expect(init.from).toBe(path.join(realpathSync(installed), 'courses', 'compaction'));
    expect(existsSync(path.join(course, 'lab.json'))).toBe(true);
    expect(existsSync(path.join(course, 'seed-breakpoints.md'))).toBe(true);
    expect(init.texts.every((t) => path.dirname(t) === realpathSync(course))).toBe(true);
    expect(existsSync(path.join(installed, 'lab.json'))).toBe(false);
  });

  it("lab doctor reads the package's host-package list and profiles: exit 0, or 1 naming what is missing", async () => {
    for (const args of [[], ['--profile', '6.6'], ['--all']]) {
      const r = await npxLab(['doctor', '--json', ...args], course);
      expect([0, 1], `lab doctor ${args.join(' ')}: ${String(r.stderr)}`).toContain(r.exitCode);
      const report = JSON.parse(String(r.stdout)) as { scope: string; purposes: string[]; missing: unknown[] };
      expect(report.purposes).toContain('debug');
      expect(report.missing.length > 0).toBe(r.exitCode === 1);
    }
    const plain = await npxLab(['doctor'], course);
    // lab.json (lab init's) names the profile
    expect(String(plain.stdout).split('\n')[0]).toMatch(/^profile compaction-course /);
  });

  it("lab run --list finds the package's scenarios; lab report writes a page from the package's scripts", async () => {
    const list = await npxLab(['run', '--list', '--json'], course);
    expect(list.exitCode, String(list.stderr)).toBe(0);
    const names = (JSON.parse(String(list.stdout)) as Array<{ name: string }>).map((s) => s.name).sort();
    expect(names).toEqual(
      readdirSync(path.join(PROJECT, 'scenarios'))
        .map((f) => f.replace(/\.json$/, ''))
        .sort(),
    );

    const runDir = path.join(course, 'a-run');
    cpSync(path.join(PROJECT, 'test', 'data', 'runs', 'debug'), runDir, { recursive: true });
    const report = await npxLab(['report', runDir], course);
    expect(report.exitCode, String(report.stderr)).toBe(0);
    const html = statSync(path.join(runDir, 'report.html'));
    expect(html.size).toBeGreaterThan(100_000);
  });

  it('leaves nothing inside the installed package', () => {
    expect(existsSync(path.join(installed, '.lab'))).toBe(false);
    expect(readdirSync(installed).sort()).toEqual(
      ['README.md', 'courses', 'deps', 'dist', 'drgn-scripts', 'gdb-scripts', 'image', 'kernel-configs', 'package.json']
        .concat(['profiles', 'qemu', 'scenarios', 'scripts', 'src'])
        .sort(),
    );
  });
});
