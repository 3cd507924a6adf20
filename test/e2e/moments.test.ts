/**
 * Named moments on the real thing (initramfs, TCG): lab snapshot save, list
 * and load in the running VM, also while gdb holds it; lab up --from; and the
 * refusals. The guest's /tmp is memory, so a file there is the moment's.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, lab, tempDir } from '../helpers/cli.js';

const cwd = tempDir('moments');
const labDir = path.join(cwd, '.lab');
let port: number;

async function ok(args: string[]): Promise<string> {
  const r = await lab(args, { cwd });
  expect(r.exitCode, `lab ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

const mark = async () => (await ok(['exec', '--', 'cat', '/tmp/mark'])).trim();
const setMark = (text: string) => ok(['exec', '--', 'sh', '-c', `echo ${text} > /tmp/mark`]);
/** Exit 0 when a fragmenter runs in the guest (the initramfs's busybox has no pgrep). */
const FRAGMENTER_RUNS = 'for c in /proc/[0-9]*/comm; do grep -qx fragmenter "$c" 2>/dev/null && exit 0; done; exit 1';
const runState = async () => JSON.parse(await ok(['status', '--json'])).runState as string;

beforeAll(async () => {
  port = await freePort();
  await ok(['build', '--rootfs', 'initramfs']);
  await ok(['up', '--gdb-port', String(port)]);
}, 45 * 60_000);

afterAll(async () => {
  await lab(['down'], { cwd });
});

describe('lab snapshot', () => {
  it('saves a moment, and loads it back into the running guest: its memory as it was', async () => {
    await setMark('one');
    await ok(['snapshot', 'save', 'first']);
    await setMark('two');
    await ok(['snapshot', 'load', 'first']);
    expect(await mark()).toBe('one');
    expect(await runState()).toBe('running');
  }, 120_000);

  it('saves while gdb holds the guest, and leaves it held', async () => {
    const held: ResultPromise = execa(
      'gdb',
      ['-batch', '-nx', '-ex', `target remote 127.0.0.1:${port}`, '-ex', 'shell sleep 8', '-ex', 'detach'],
      { reject: false },
    );
    try {
      const deadline = Date.now() + 15_000;
      while ((await runState()) === 'running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(await runState()).toBe('paused');
      const saved = JSON.parse(await ok(['snapshot', 'save', 'held', '--json']));
      expect(saved.runState).toBe('paused');
      expect(await runState()).toBe('paused');
    } finally {
      held.kill('SIGKILL');
      await held;
    }
  }, 120_000);

  it('lists the moments with when they were saved and how the guest was', async () => {
    const listed = JSON.parse(await ok(['snapshot', 'list', '--json']));
    expect(listed.map((m: { name: string; runState: string }) => [m.name, m.runState])).toEqual([
      ['first', 'running'],
      ['held', 'paused'],
    ]);
  });

  it('starts a new VM at a moment (lab up --from)', async () => {
    await ok(['down']);
    await ok(['up', '--gdb-port', String(port), '--from', 'first']);
    const state = JSON.parse(readFileSync(path.join(labDir, 'state.json'), 'utf8'));
    expect(state.start).toMatchObject({ from: 'moment', moment: 'first' });
    expect(await mark()).toBe('one');
  }, 120_000);

  it('refuses a moment of another VM shape, an unknown one and a bad name, in one line, starting nothing', async () => {
    await ok(['down']);
    const other = await lab(['up', '--gdb-port', String(port), '--from', 'first', '--memory', '1G'], { cwd });
    expect(other.exitCode).toBe(5);
    expect(other.stderr).toContain('moment first was saved in another VM');
    const unknown = await lab(['up', '--gdb-port', String(port), '--from', 'nope'], { cwd });
    expect([unknown.exitCode, unknown.stderr.trim().split('\n').at(-1)]).toEqual([
      2,
      'lab: this lab has no moment nope: lab snapshot list',
    ]);
    const bad = await lab(['up', '--gdb-port', String(port), '--from', '../x'], { cwd });
    expect(bad.exitCode).toBe(2);
    expect(JSON.parse(await ok(['status', '--json'])).running).toBe(false);
  }, 120_000);

  it(
    'runs a scenario from its start moment, saved once and reused, and leaves the guest as it found it',
    async () => {
      await lab(['down'], { cwd });
      await ok(['up', '--gdb-port', String(port)]);
      const proactiveness = async () =>
        (await ok(['exec', '--', 'cat', '/proc/sys/vm/compaction_proactiveness'])).trim();
      const was = await proactiveness();
      const starts: Array<{ moment: string; savedAt: string }> = [];
      for (let i = 0; i < 2; i++) {
        const r = JSON.parse(await ok(['run', 'manual', '--same-start', '--json']));
        const manifest = JSON.parse(readFileSync(path.join(r.runDir, 'manifest.json'), 'utf8'));
        starts.push(manifest.start);
        // the fragmenter was started for the moment, not for the run
        expect(JSON.parse(readFileSync(path.join(r.runDir, 'background.json'), 'utf8'))).toEqual([]);
        expect(r.verdicts.map((v: { path: string; fired: boolean }) => [v.path, v.fired])).toEqual([['manual', true]]);
        expect((await lab(['exec', '--', 'sh', '-c', FRAGMENTER_RUNS], { cwd })).exitCode).toBe(1);
        expect(await proactiveness()).toBe(was);
      }
      expect(starts[0]).toMatchObject({ moment: 'manual-fragmented' });
      expect(starts[1]).toEqual(starts[0]);
      const names = JSON.parse(await ok(['snapshot', 'list', '--json'])).map((m: { name: string }) => m.name);
      expect(names).toEqual(expect.arrayContaining(['manual-fragmented', 'lab-before-manual']));
    },
    15 * 60_000,
  );

  it('refuses --same-start for a scenario that names no start moment, in one line', async () => {
    const r = await lab(['run', 'stress', '--same-start'], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^lab: scenario stress names no start moment: add "start"/),
    ]);
  });
});
