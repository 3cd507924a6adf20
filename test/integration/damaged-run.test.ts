/**
 * lab report and lab compare on damaged run directories (the built CLI):
 * one line naming the file and what is wrong with it, never what it holds;
 * an exit status from the error table (RUN_DAMAGED: 1), never 70; no hang.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lab, PROJECT, tempDir } from '../helpers/cli.js';

const RUNS = path.join(PROJECT, 'test', 'data', 'runs');
const GOOD_HIT = readFileSync(path.join(RUNS, 'scenario', 'hits.jsonl'), 'utf8').split('\n')[0]!;

/** Each damage, done to a copy of the committed scenario run, and the file the error must name. */
const DAMAGES: Array<{ name: string; file: string; damage: (dir: string) => void; problem: RegExp }> = [
  {
    name: 'a hits.jsonl with a null line',
    file: 'hits.jsonl',
    damage: (d) => writeFileSync(path.join(d, 'hits.jsonl'), `${GOOD_HIT}\nnull\n`),
    problem: /line 2 is not a hit record/,
  },
  {
    name: 'a hit without frames',
    file: 'hits.jsonl',
    damage: (d) =>
      writeFileSync(path.join(d, 'hits.jsonl'), JSON.stringify({ ...JSON.parse(GOOD_HIT), frames: undefined }) + '\n'),
    problem: /line 1 is not a hit record \(frames: /,
  },
  {
    name: 'a torn manifest.json',
    file: 'manifest.json',
    damage: (d) => truncateSync(path.join(d, 'manifest.json'), 700),
    problem: /is not valid JSON/,
  },
  {
    name: 'a torn verdicts.json',
    file: 'verdicts.json',
    damage: (d) => truncateSync(path.join(d, 'verdicts.json'), 300),
    problem: /is not valid JSON/,
  },
  {
    name: 'a 3 GiB trace.txt (sparse)',
    file: 'trace.txt',
    damage: (d) => truncateSync(path.join(d, 'trace.txt'), 3 * 1024 ** 3),
    problem: /is 3072 MiB, over the 256 MiB lab reads/,
  },
  {
    name: 'hits.jsonl a link to /dev/zero',
    file: 'hits.jsonl',
    damage: (d) => {
      rmSync(path.join(d, 'hits.jsonl'));
      symlinkSync('/dev/zero', path.join(d, 'hits.jsonl'));
    },
    problem: /is a link, not a file/,
  },
  {
    name: 'hits.jsonl a link to /etc/passwd',
    file: 'hits.jsonl',
    damage: (d) => {
      rmSync(path.join(d, 'hits.jsonl'));
      symlinkSync('/etc/passwd', path.join(d, 'hits.jsonl'));
    },
    problem: /is a link, not a file/,
  },
];

let labDir: string;

beforeAll(() => {
  labDir = tempDir('damaged');
  mkdirSync(path.join(labDir, 'runs'), { recursive: true });
  cpSync(path.join(RUNS, 'scenario'), path.join(labDir, 'runs', 'good'), { recursive: true });
  DAMAGES.forEach((d, i) => {
    const dir = path.join(labDir, 'runs', `damaged-${i}`);
    cpSync(path.join(RUNS, 'scenario'), dir, { recursive: true });
    d.damage(dir);
  });
});

function expectOneLine(r: { exitCode?: number; stderr: string; stdout: string }, file: string, problem: RegExp): void {
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toContain(file);
  expect(lines[0]).toMatch(problem);
  expect(r.stderr + r.stdout).not.toMatch(/root:x:0:0|proactive_compact_node|"seq"|"kind"/);
  expect(r.exitCode).toBe(1);
}

describe.each(DAMAGES.map((d, i) => ({ ...d, id: `damaged-${i}` })))('$name', ({ id, file, problem }) => {
  it('lab report: one line naming the file, exit 1', async () => {
    const r = await lab(['report', id, '--lab-dir', labDir], { timeout: 60_000 });
    expectOneLine(r, path.join(labDir, 'runs', id, file), problem);
  });

  it('lab compare: one line naming the file, exit 1', async () => {
    const html = path.join(labDir, `${id}.html`);
    const r = await lab(['compare', 'good', id, '--html', html, '--lab-dir', labDir], { timeout: 60_000 });
    // compare reads no trace.txt: its figures are the trace summary's
    if (file === 'trace.txt') expect(r.exitCode, r.stderr).toBe(0);
    else expectOneLine(r, path.join(labDir, 'runs', id, file), problem);
  });
});
