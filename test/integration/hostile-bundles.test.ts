/**
 * lab check (the built CLI) on hand-in bundles made to hurt it: gzip bombs,
 * data after the tar's end, too many entries, escape sequences and newlines
 * in the student's name and the bundle's file name, damaged run files, a
 * million breakpoints. Each bad bundle is its one refused row with the
 * reason, the good bundles after it are still checked, nothing is written
 * outside the scratch directory, which is removed, and nothing the bundles
 * hold reaches the terminal raw. Bundles are made by hand
 * (test/helpers/hostile-bundles.mjs, also bench/hostile-bundles.mjs's).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { LAB, lab, labSpawn, tempDir } from '../helpers/cli.js';
import {
  bundleTar,
  debugRun,
  HOSTILE,
  HOSTILE_LAB,
  rawControl,
  TAR_END,
  tarEntry,
  writeGoodBundle,
  writeHostileBundles,
} from '../helpers/hostile-bundles.mjs';

const ESCAPING_NAME = 'good\x1b[2J\x1b]0;title\x07.tar.gz';

let cwd: string;
let scratch: string;
let result: Awaited<ReturnType<typeof lab>>;
let bundles: Array<{ name: string; file: string; reason: RegExp | null }>;

/** The rows of lab check's table (before the totals), split into cells. */
function tableRows(stdout: string): string[][] {
  return stdout
    .split('\n\n')[0]!
    .split('\n')
    .slice(1)
    .map((line) => line.split(/ {2,}/));
}

beforeAll(async () => {
  if (!existsSync(LAB)) throw new Error(`${LAB} is missing: build it with npx tsc -p tsconfig.json`);
  cwd = tempDir('hostile');
  scratch = tempDir('hostile-tmp');
  writeFileSync(path.join(cwd, 'lab.json'), JSON.stringify(HOSTILE_LAB));
  bundles = [
    { name: 'good-first', file: writeGoodBundle(path.join(cwd, 'good-first.tar.gz'), 'amy'), reason: null },
    ...writeHostileBundles(cwd),
    { name: 'good-last', file: writeGoodBundle(path.join(cwd, 'good-last.tar.gz'), 'zed'), reason: null },
  ];
  copyFileSync(path.join(cwd, 'good-last.tar.gz'), path.join(cwd, ESCAPING_NAME));
  const files = [...bundles.map((b) => path.basename(b.file)), ESCAPING_NAME];
  result = await lab(['check', ...files], { cwd, env: { TMPDIR: scratch }, timeout: 240_000 });
}, 300_000);

describe('lab check on hostile bundles', () => {
  it('refuses each bad bundle in one row, with its reason', () => {
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toBe('');
    const rows = tableRows(result.stdout);
    for (const b of bundles.filter((x) => x.reason)) {
      const mine = rows.filter((r) => r[3]?.startsWith(`${b.name}.tar.gz refused: `));
      expect(mine, b.name).toHaveLength(1);
      expect(mine[0]![2], b.name).toBe('refused');
      expect(mine[0]![3], b.name).toMatch(b.reason!);
    }
  });

  it('still checks every bundle after a bad one: the good ones and the odd ones are judged', () => {
    // no vmlinux here: each judged bundle's lab.lock row passes, and its hits, unchecked, pass nothing
    const totals = result.stdout.split('\n\n')[1]!;
    expect(totals).toContain('amy (good-first.tar.gz)');
    expect(totals).toMatch(/zed \(good-last\.tar\.gz\) +1 of 2/);
    expect(totals).toMatch(/ada \(million-breakpoints\.tar\.gz\) +1 of 2/);
    expect(totals).toMatch(/ada \(huge-hit-line\.tar\.gz\) +1 of 2/);
    const rows = tableRows(result.stdout);
    expect(rows.find((r) => r[1] === 'bp' && r[3]?.includes('hits not checked: no vmlinux'))).toBeDefined();
    expect(rows.length).toBe(HOSTILE.filter((h) => h.reason).length + 2 * 5);
    expect(result.stdout).toMatch(new RegExp(`${HOSTILE.length + 3} bundle\\(s\\), ${rows.length} row\\(s\\)`));
  });

  it('prints nothing a bundle holds raw: no escape sequence, control or bidi character, no line over 300', () => {
    expect(rawControl(result.stdout)).toBeUndefined();
    expect(result.stdout).toContain('(good\\x1b[2J\\x1b]0;title\\x07.tar.gz)');
    expect(Math.max(...result.stdout.split('\n').map((l) => l.length))).toBeLessThan(300);
  });

  it('writes nothing outside its scratch directory, and removes that', () => {
    expect(readdirSync(scratch)).toEqual([]);
    expect(existsSync(path.join(scratch, '..', 'hostile-escaped'))).toBe(false);
    expect(existsSync('/tmp/hostile-absolute')).toBe(false);
    const expected = [...bundles.map((b) => path.basename(b.file)), ESCAPING_NAME, 'lab.json'].sort();
    expect(readdirSync(cwd).sort()).toEqual(expected);
  });
});

describe('lab check --max-size', () => {
  it('refuses 4096, abc and 1.5 with one line and exit 2; counts a MiB by multiplication', async () => {
    const dir = tempDir('max-size');
    writeFileSync(path.join(dir, 'lab.json'), JSON.stringify(HOSTILE_LAB));
    writeGoodBundle(path.join(dir, 'b.tar.gz'));
    for (const value of ['4096', 'abc', '1.5', '0']) {
      const r = await lab(['check', '--max-size', value, 'b.tar.gz'], { cwd: dir });
      expect(r.exitCode, value).toBe(2);
      expect(r.stderr.trim().split('\n'), value).toHaveLength(1);
      expect(r.stderr, value).toMatch(/^lab: --max-size .*(not a number|not a whole number of MiB from 1 to 1024)/);
    }
    const ok = await lab(['check', '--max-size', '1024', 'b.tar.gz', '--json'], { cwd: dir });
    expect(ok.stderr).toBe('');
    expect(JSON.parse(ok.stdout).rows.map((r: { result: string }) => r.result)).toEqual(['pass', 'fail']);
  });
});

describe('lab check interrupted', () => {
  it('stops at once on SIGTERM, mid-bundle, and removes its scratch directory', async () => {
    const dir = tempDir('interrupt');
    const tmp = tempDir('interrupt-tmp');
    writeFileSync(path.join(dir, 'lab.json'), JSON.stringify(HOSTILE_LAB));
    // 200 MiB of listed zeros: it takes seconds to unpack and hash, so SIGTERM lands mid-bundle
    const zeros = Buffer.alloc(200 * 1024 * 1024);
    const tar = bundleTar(debugRun(), {
      manifest: { files: { 'big/zeros': createHash('sha256').update(zeros).digest('hex') } },
      extra: [tarEntry('big/zeros', zeros)],
    });
    writeFileSync(path.join(dir, 'big.tar.gz'), gzipSync(Buffer.concat([tar, TAR_END]), { level: 1 }));
    writeGoodBundle(path.join(dir, 'after.tar.gz'));
    const child = labSpawn(['check', 'big.tar.gz', 'after.tar.gz'], { cwd: dir, env: { TMPDIR: tmp } });
    const deadline = Date.now() + 30_000;
    while (readdirSync(tmp).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const sent = Date.now();
    child.kill('SIGTERM');
    const r = await child;
    expect(Date.now() - sent).toBeLessThan(3_000);
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toMatch(/^lab: lab check interrupted/);
    expect(r.stdout).toBe('');
    expect(readdirSync(tmp)).toEqual([]);
    expect(statSync(path.join(dir, 'big.tar.gz')).isFile()).toBe(true);
  }, 120_000);
});
