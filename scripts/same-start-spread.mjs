// Issue 25's spread measurement: lab run manual and proactive, N repeats
// each (5 by default), without and with --same-start, on the initramfs guest
// under TCG; prints each figure's min–max side by side as a Markdown table
// (for BENCHMARKS.md) and the runs' ids. Exits non-zero when a run fails.
//   node scripts/same-start-spread.mjs [N]      (after npm run build; ~25 minutes here)
import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const LAB = path.join(ROOT, 'dist', 'cli', 'main.js');
const deterministic = process.argv.includes('--deterministic');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 5);
const MODES = deterministic ? ['with'] : ['without', 'with'];
const work = mkdtempSync(path.join(os.tmpdir(), 'lab-spread-'));
const FIGURES = [
  'vmstat compact_migrate_scanned',
  'vmstat compact_free_scanned',
  'vmstat compact_isolated',
  'score max',
  'score last',
];

const lab = async (args) => {
  const r = await execa('node', [LAB, ...args], { cwd: work, reject: false, stderr: 'inherit' });
  if (r.exitCode !== 0) throw new Error(`lab ${args.join(' ')} exited ${r.exitCode}`);
  return r.stdout;
};
const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

await lab(['build', '--rootfs', 'initramfs']);
await lab(['up', '--gdb-port', String(await freePort()), ...(deterministic ? ['--deterministic'] : [])]);
const rows = [];
try {
  for (const scenario of only ? [only] : ['manual', 'proactive']) {
    const spreads = {};
    for (const mode of MODES) {
      const started = performance.now();
      const flags = mode === 'with' ? ['--same-start'] : [];
      const r = JSON.parse(await lab(['run', scenario, '--repeat', String(N), ...flags, '--json']));
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      const ids = r.runs.map((x) => path.basename(x.runDir)).join(' ');
      console.error(`${scenario} ${mode} --same-start: ${N} runs in ${seconds} s: ${ids}`);
      spreads[mode] = Object.fromEntries(r.figures.map((f) => [f.figure, f.spread]));
      const fired = r.verdicts.map((v) => `${v.path} ${v.fired}/${v.of}`).join(', ');
      spreads[mode].fired = fired;
    }
    for (const figure of [...FIGURES, 'fired']) {
      const cell = (s) => {
        const x = s?.[figure];
        if (typeof x === 'string') return x;
        if (!x) return 'n/a';
        return x.min === x.max ? `${x.min} (all)` : `${x.min}–${x.max}`;
      };
      rows.push(`| ${scenario} | ${figure} | ${MODES.map((m) => cell(spreads[m])).join(' | ')} |`);
    }
  }
} finally {
  await lab(['down']).catch(() => undefined);
}
const HEADS = {
  without: `${N} runs, each from where the last left`,
  with: `${N} runs from one moment (--same-start${deterministic ? ', --deterministic' : ''})`,
};
const heads = MODES.map((m) => HEADS[m]);
console.log(`| scenario | figure | ${heads.join(' | ')} |`);
console.log(`| --- | --- | ${MODES.map(() => '---').join(' | ')} |`);
for (const row of rows) console.log(row);
