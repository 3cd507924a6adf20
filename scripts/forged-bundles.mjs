#!/usr/bin/env node
/**
 * The forged hand-ins of issue 21, made from a real lab and checked by lab
 * check: which check catches each forgery. Run it where a class lab is
 * built, with a demo run and a proactive run in .lab/runs and lab.lock beside
 * lab.json:
 *
 *   node scripts/forged-bundles.mjs LABDIR [--other-run DIR] [--json]
 *
 * --other-run: a real debug run recorded on another kernel (a 6.12 lab's
 * demo). The forged run directories are made in LABDIR/.lab/runs and
 * removed again; the bundles go to a temporary directory, removed at exit.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tar from 'tar';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'dist', 'cli', 'main.js');
const args = process.argv.slice(2);
const json = args.includes('--json');
const otherAt = args.indexOf('--other-run');
const otherRun = otherAt >= 0 ? path.resolve(args[otherAt + 1]) : undefined;
const labDir = path.resolve(args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--other-run') ?? '.');
const runsDir = path.join(labDir, '.lab', 'runs');
const out = mkdtempSync(path.join(os.tmpdir(), 'lab-forged-'));
const made = [];
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

const lab = (argv, options = {}) => {
  try {
    return { code: 0, stdout: execFileSync('node', [cli, ...argv], { cwd: labDir, encoding: 'utf8', ...options }) };
  } catch (err) {
    return { code: err.status ?? 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
};
const runs = readdirSync(runsDir).sort();
const demo = runs.find((r) => r.endsWith('-debug'));
const proactive = runs.find((r) => r.endsWith('-proactive'));
if (!demo || !proactive)
  throw new Error(`${runsDir} needs a demo run (lab demo) and a proactive run (lab run proactive)`);
const build = JSON.parse(readFileSync(path.join(labDir, '.lab', 'build.json'), 'utf8'));
const vmlinux = build.kernel.vmlinux;

const readHits = (dir) =>
  readFileSync(path.join(dir, 'hits.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const writeHits = (dir, hits) =>
  writeFileSync(path.join(dir, 'hits.jsonl'), hits.map((h) => JSON.stringify(h)).join('\n') + '\n');

/** A copy of a run under a new id, changed by edit, packed as student's bundle. */
function forge(name, from, student, edit) {
  const id = `${from}-${name}`;
  const dir = path.join(runsDir, id);
  cpSync(path.join(runsDir, from), dir, { recursive: true });
  made.push(dir);
  edit?.(dir);
  return pack(name, student, [id]);
}

function pack(name, student, ids, extra = []) {
  const file = path.join(out, `${name}.tar.gz`);
  const r = lab(['pack', ...ids, '--student', student, '-o', file, ...extra]);
  if (r.code !== 0) throw new Error(`lab pack for ${name}: ${r.stderr}`);
  return { name, file, student };
}

/** The address of the instruction after pc, from objdump. */
function nextInstruction(pc) {
  const start = BigInt(pc);
  const text = execFileSync('objdump', ['-d', `--start-address=${start}`, `--stop-address=${start + 32n}`, vmlinux], {
    encoding: 'utf8',
  });
  const addresses = [...text.matchAll(/^\s*([0-9a-f]+):\t/gm)].map((m) => BigInt(`0x${m[1]}`));
  return `0x${addresses.find((a) => a > start).toString(16)}`;
}

const forgeries = [];
const cases = {
  'pc moved by one instruction': (d) => {
    const hits = readHits(d);
    hits[0].frames[1].pc = nextInstruction(hits[0].frames[1].pc);
    writeHits(d, hits);
  },
  'frame invented': (d) => {
    const hits = readHits(d);
    const f = hits[0].frames[1];
    hits[0].frames.splice(1, 0, { ...f, function: 'try_to_compact_pages', line: 2600, inlined: false });
    writeHits(d, hits);
  },
  'function renamed': (d) => {
    const hits = readHits(d);
    hits[0].frames[1].function = 'kcompactd_do_work';
    writeHits(d, hits);
  },
  'hits typed from README': (d) => {
    const frame = (fn, line, pc) => ({ function: fn, file: 'mm/compaction.c', line, pc, inlined: false });
    const typed = ['compact_zone', 'compact_unlock_should_abort', 'compact_unlock_should_abort'].map((bp, i) => ({
      seq: i + 1,
      time: '2026-01-01T00:00:00+00:00',
      elapsed: i,
      breakpoint: bp,
      function: bp,
      file: 'mm/compaction.c',
      line: 2291,
      cpu: 0,
      comm: 'sh',
      pid: 52,
      site: 1,
      sites: 1,
      frames: [frame(bp, 2291, '0xffffffff811d4ce0'), frame('sysctl_compaction_handler', 2749, '0xffffffff811d67da')],
      trimmed: false,
    }));
    writeHits(d, typed);
  },
  'real run, one counter edited': null,
};
for (const [name, edit] of Object.entries(cases)) {
  if (edit) forgeries.push({ ...forge(name.replaceAll(' ', '-'), demo, 'mallory', edit), name });
}
forgeries.push(
  forge('counter-edited', proactive, 'mallory', (d) => {
    const file = path.join(d, 'after.txt');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        /^compact_migrate_scanned (\d+)$/m,
        (_, n) => `compact_migrate_scanned ${Number(n) * 2}`,
      ),
    );
  }),
);
forgeries.at(-1).name = 'real run, one counter edited';
if (otherRun) {
  const id = `${path.basename(otherRun)}-other-kernel`;
  cpSync(otherRun, path.join(runsDir, id), { recursive: true });
  made.push(path.join(runsDir, id));
  forgeries.push(pack("another kernel's real run", 'mallory', [id]));
}
forgeries.push({ ...pack("a classmate's run under another name", 'mallory', [demo]), classmate: true });

// packed against another lab.lock: the same lab.json beside a lock that pins one package otherwise
const otherLab = mkdtempSync(path.join(os.tmpdir(), 'lab-otherlock-'));
made.push(otherLab);
copyFileSync(path.join(labDir, 'lab.json'), path.join(otherLab, 'lab.json'));
const lock = JSON.parse(readFileSync(path.join(labDir, 'lab.lock'), 'utf8'));
lock.inputs.guestPackages.bash = '0.0-1';
writeFileSync(path.join(otherLab, 'lab.lock'), JSON.stringify(lock, null, 2));
forgeries.push(pack('packed against another lab.lock', 'mallory', [demo], ['--lab', path.join(otherLab, 'lab.json')]));

// made up by hand: hits naming the expected functions, verdicts saying "fired", no lab pack
const madeUp = path.join(out, 'made-up');
const files = {
  'runs/r1/manifest.json': JSON.stringify({
    kind: 'debug',
    request: {
      breakpoints: [
        'kcompactd',
        'kcompactd_do_work',
        'compact_zone',
        'compact_unlock_should_abort',
        'isolate_freepages_block',
      ],
    },
  }),
  'runs/r1/hits.jsonl':
    ['compact_zone', 'compact_unlock_should_abort']
      .map((b, i) =>
        JSON.stringify({
          seq: i + 1,
          breakpoint: b,
          function: b,
          frames: [{ function: b }, { function: 'sysctl_compaction_handler' }],
        }),
      )
      .join('\n') + '\n',
  ...Object.fromEntries(
    ['manual', 'direct', 'kcompactd', 'proactive', 'stress'].map((s) => [
      `runs/${s}/manifest.json`,
      JSON.stringify({ kind: 'scenario', request: { scenario: { name: s } } }),
    ]),
  ),
  ...Object.fromEntries(
    ['manual', 'direct', 'kcompactd', 'proactive', 'stress'].map((s) => [
      `runs/${s}/verdicts.json`,
      JSON.stringify({ scenario: s, verdicts: [{ path: s, fired: true, ok: true, rows: [] }] }),
    ]),
  ),
};
for (const [f, text] of Object.entries(files)) {
  const full = path.join(madeUp, f);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, text);
}
const manifest = {
  bundleVersion: 1,
  lab: readLabName(),
  student: 'mallory',
  createdAt: new Date().toISOString(),
  lockDigest: JSON.parse(lab(['pack', demo, '--student', 'x', '-o', path.join(out, 'digest.tar.gz'), '--json']).stdout)
    .lockDigest,
  runs: ['r1', 'manual', 'direct', 'kcompactd', 'proactive', 'stress'],
  files: Object.fromEntries(Object.entries(files).map(([f, t]) => [f, createHash('sha256').update(t).digest('hex')])),
};
writeFileSync(path.join(madeUp, 'bundle.json'), JSON.stringify(manifest));
const madeUpFile = path.join(out, 'made-up.tar.gz');
await tar.create({ gzip: true, file: madeUpFile, cwd: madeUp, portable: true }, ['bundle.json', ...Object.keys(files)]);
forgeries.push({ name: 'made up by hand', file: madeUpFile, student: 'mallory' });

function readLabName() {
  return /"name":\s*"([^"]+)"/.exec(readFileSync(path.join(labDir, 'lab.json'), 'utf8'))[1];
}

/** What caught a bundle, from its rows. */
function caughtBy(rows) {
  const checks = new Set();
  for (const r of rows.filter((x) => x.result !== 'pass')) {
    if (r.exercise === '(lab.lock)') checks.add('lab.lock');
    else if (r.exercise === '(own work)') checks.add('shared runs');
    else if (r.exercise === '(bundle)') checks.add('bundle');
    else if (/vmlinux|hits\.jsonl are no hit|hit's function/.test(r.evidence)) checks.add('vmlinux');
    else if (/samples\.jsonl|before\.txt|after\.txt|verdicts\.json says|no evidence|trace\.txt/.test(r.evidence))
      checks.add('evidence');
  }
  return [...checks];
}

const ada = pack('real: demo and proactive', 'ada', [demo, proactive]);
const real = JSON.parse(lab(['check', ada.file, '--json']).stdout);
const table = [
  { bundle: ada.name, expected: 'pass', caught: caughtBy(real.rows), rows: real.rows, seconds: real.seconds },
];
for (const f of forgeries) {
  const bundles = f.classmate ? [ada.file, f.file] : [f.file];
  const r = JSON.parse(lab(['check', ...bundles, '--json']).stdout);
  const rows = r.rows.filter((x) => x.student === f.student);
  table.push({ bundle: f.name, expected: 'caught', caught: caughtBy(rows), rows, seconds: r.seconds });
}
if (json) console.log(JSON.stringify(table, null, 2));
else {
  const checks = ['vmlinux', 'evidence', 'lab.lock', 'shared runs', 'bundle'];
  console.log(['bundle'.padEnd(40), ...checks.map((c) => c.padEnd(12))].join(''));
  for (const t of table)
    console.log(
      [t.bundle.padEnd(40), ...checks.map((c) => (t.caught.includes(c) ? 'caught' : '-').padEnd(12))].join(''),
    );
}
