// lab check on each hostile bundle of test/helpers/hostile-bundles.mjs, one
// process per bundle under /usr/bin/time -v: its peak RSS, its wall-clock
// seconds, its exit status and the row it printed. The bundles are written
// into a temporary directory (about 15 MB), removed at the end.
//   node bench/hostile-bundles.mjs [--dist DIR] [--only NAME,NAME]
// --dist: the built lab to time (default: this checkout's dist).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { HOSTILE_LAB, writeGoodBundle, writeHostileBundles } from '../test/helpers/hostile-bundles.mjs';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { dist: { type: 'string', default: path.join(ROOT, 'dist') }, only: { type: 'string' } },
});
const main = path.join(path.resolve(values.dist), 'cli', 'main.js');
execFileSync('/usr/bin/time', ['-V'], { stdio: 'ignore' });

const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-hostile-bench-'));
try {
  const scratch = path.join(dir, 'tmp');
  mkdirSync(scratch);
  writeFileSync(path.join(dir, 'lab.json'), JSON.stringify(HOSTILE_LAB));
  const bundles = [
    ...writeHostileBundles(dir, values.only?.split(',')),
    { name: 'good', about: 'a good bundle', file: writeGoodBundle(path.join(dir, 'good.tar.gz')) },
  ];
  const rows = [];
  for (const b of bundles) {
    const r = spawnSync('/usr/bin/time', ['-v', process.execPath, main, 'check', b.file], {
      cwd: dir,
      env: { ...process.env, TMPDIR: scratch },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024;
    const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)/.exec(r.stderr)?.[1] ?? '?';
    const seconds = wall.split(':').reduce((s, part) => s * 60 + Number(part), 0);
    const exit = /Exit status: (\d+)/.exec(r.stderr)?.[1] ?? String(r.status);
    const cpu = ['User', 'System'].reduce(
      (s, k) => s + Number(new RegExp(`${k} time \\(seconds\\): (\\S+)`).exec(r.stderr)?.[1] ?? 0),
      0,
    );
    const row = r.stdout.split('\n')[1] ?? '';
    rows.push({
      bundle: b.name,
      MiB: (b.file ? sizeOf(b.file) : 0).toFixed(2),
      rss: rss.toFixed(0),
      seconds,
      cpu,
      exit,
      row,
    });
    const left = readdirSync(scratch);
    if (left.length) console.error(`${b.name}: left ${left.join(', ')} in the temporary directory`);
  }
  console.log(table(rows));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function sizeOf(file) {
  return Number(execFileSync('stat', ['-c', '%s', file], { encoding: 'utf8' })) / (1024 * 1024);
}

function table(rows) {
  const header = ['bundle', 'packed MiB', 'peak RSS MiB', 'seconds', 'CPU s', 'exit', 'first row (cut)'];
  const cells = rows.map((r) => [
    r.bundle,
    r.MiB,
    r.rss,
    r.seconds.toFixed(2),
    r.cpu.toFixed(2),
    r.exit,
    r.row.slice(0, 110),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) =>
    c
      .map((x, i) => x.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}
