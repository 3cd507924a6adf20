// lab's benchmarks: wall times of the user-facing steps, measured on this
// machine with the real kernel, QEMU and gdb. Results go to
// bench/results/<date>.json; BENCHMARKS.md summarises them.
//   npm run bench             warm steps (the store already holds the kernel)
//   npm run bench -- --cold   also a cold kernel build in an empty store (minutes)
import { execa } from 'execa';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const LAB = path.resolve(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const cold = process.argv.includes('--cold');
const cwd = mkdtempSync(path.join(os.tmpdir(), 'lab-bench-'));
const results = [];

async function timed(name, args, { env = {}, repeat = 1 } = {}) {
  const samples = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    const r = await execa(process.execPath, [LAB, ...args], { cwd, env: { LAB_PROFILE: 'debian', ...process.env, ...env }, reject: false, stdin: 'ignore' });
    samples.push((performance.now() - t0) / 1000);
    if (r.exitCode !== 0) throw new Error(`${name} failed (${r.exitCode}): ${r.stderr}`);
  }
  samples.sort((a, b) => a - b);
  const row = { name, runs: repeat, median_s: +samples[Math.floor(samples.length / 2)].toFixed(3), min_s: +samples[0].toFixed(3), max_s: +samples.at(-1).toFixed(3) };
  results.push(row);
  console.log(`${name.padEnd(40)} median ${row.median_s} s (min ${row.min_s}, max ${row.max_s}, ${repeat} runs)`);
}

try {
  if (cold) {
    const store = mkdtempSync(path.join(os.tmpdir(), 'lab-bench-store-'));
    await timed('lab build (cold: extract, config, make)', ['build'], { env: { LAB_CACHE: store } });
  }
  await timed('lab build (warm: no make)', ['build'], { repeat: 5 });
  await timed('lab up (TCG, to guest ready)', ['up']);
  await timed('lab exec -- true (round trip)', ['exec', '--', 'true'], { repeat: 20 });
  await timed('lab debug: 10 hits, compact trigger', ['debug', '--break', 'compact_zone', '--break', 'compact_unlock_should_abort', '--trigger', 'compact', '--count', '10'], { repeat: 5 });
  await timed('lab debug: 100 hits, compact trigger', ['debug', '--break', 'compact_unlock_should_abort', '--trigger', 'compact', '--count', '100'], { repeat: 3 });
  await timed('lab down', ['down']);
} finally {
  await execa('node', [LAB, 'down'], { cwd, reject: false });
}

const out = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  results,
};
mkdirSync(path.join(import.meta.dirname, 'results'), { recursive: true });
const file = path.join(import.meta.dirname, 'results', `${out.date.slice(0, 10)}.json`);
writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
console.log(`written to ${path.relative(process.cwd(), file)}`);
