/**
 * Boot snapshots on the real thing: QEMU's migration stream saved after the
 * first boot and restored by the next lab up, under TCG. Every VM here
 * carries a kernel command-line word of this run's own (lab.test=NONCE), so
 * its snapshots are this run's: the first lab up of each shape boots, and
 * afterAll removes what the run saved. What no test here changes: the
 * kernel (a second kernel build costs 10-20 minutes); the key's unit test
 * (test/unit/boot-snapshot.test.ts) covers it, with every other input.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeRoot } from '../../src/config/paths.js';
import { freePort, lab, newestRun, tempDir } from '../helpers/cli.js';

const cwd = tempDir('boot-snapshot');
const labDir = path.join(cwd, '.lab');
const nonce = randomBytes(6).toString('hex');
const mark = `lab.test=${nonce}`;
let port: number;

interface Started {
  from: 'boot' | 'snapshot';
  snapshot?: string;
  machine: string;
}

function started(): Started {
  return JSON.parse(readFileSync(path.join(labDir, 'state.json'), 'utf8')).start;
}

async function up(...extra: string[]): Promise<Started> {
  const r = await lab(['up', '--gdb-port', String(port), '--append', mark, ...extra], { cwd });
  expect(r.exitCode, r.stderr).toBe(0);
  return started();
}

async function down(): Promise<void> {
  const r = await lab(['down'], { cwd });
  expect(r.exitCode, r.stderr).toBe(0);
}

async function guest(...argv: string[]): Promise<string> {
  const r = await lab(['exec', '--', ...argv], { cwd });
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  port = await freePort();
  const built = await lab(['build', '--rootfs', 'initramfs'], { cwd });
  expect(built.exitCode, built.stderr).toBe(0);
}, 45 * 60_000);

afterAll(async () => {
  await lab(['down'], { cwd });
  const dir = path.join(storeRoot(), 'snapshots');
  for (const key of existsSync(dir) ? readdirSync(dir) : []) {
    const record = path.join(dir, key, 'snapshot.json');
    if (existsSync(record) && readFileSync(record, 'utf8').includes(mark))
      rmSync(path.join(dir, key), { recursive: true, force: true });
  }
});

describe('lab up and its boot snapshot', () => {
  let first: Started;

  it('boots the first time, saves the guest, and restores it the next time', async () => {
    first = await up();
    expect(first).toMatchObject({ from: 'boot', snapshot: expect.stringMatching(/^[0-9a-f]{32}$/) });
    await down();
    expect(await up()).toMatchObject({ from: 'snapshot', snapshot: first.snapshot });
  }, 300_000);

  it("gives the restored guest the host's clock, not the snapshot's", async () => {
    const guestSeconds = Number((await guest('date', '+%s')).trim());
    expect(Math.abs(guestSeconds - Date.now() / 1000)).toBeLessThan(5);
  });

  it('reseeds its random numbers: two restores of one snapshot read different bytes', async () => {
    const read = () => guest('sh', '-c', 'head -c 32 /dev/urandom | od -An -tx1');
    const once = await read();
    await down();
    expect(await up()).toMatchObject({ from: 'snapshot' });
    expect(await read()).not.toBe(once);
  }, 120_000);

  it('starts its serial log with the boot it was saved from, and tracefs is there', async () => {
    expect(readFileSync(path.join(labDir, 'vm', 'serial.log'), 'utf8')).toContain('lab: initramfs up');
    expect((await guest('cat', '/sys/kernel/tracing/tracing_on')).trim()).toMatch(/^[01]$/);
  });

  it('stops at a breakpoint through the gdbstub of the restored guest', async () => {
    const r = await lab(['debug', '--break', 'compact_zone', '--trigger', 'compact', '--count', '1'], { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
    const hits = readFileSync(path.join(newestRun(labDir), 'hits.jsonl'), 'utf8');
    expect(hits).toContain('"compact_zone"');
  }, 300_000);

  it('boots when asked to (--boot), and keeps the snapshot it has', async () => {
    await down();
    const booted = await up('--boot');
    expect(booted).toMatchObject({ from: 'boot', machine: first.snapshot });
    expect(booted.snapshot).toBeUndefined();
  }, 300_000);

  it.each([
    ['another memory size', ['--memory', '1536M']],
    ['another CPU count', ['--cpus', '1']],
    ['another kernel command line', ['--append', 'init_on_free=0']],
  ])(
    'never restores a snapshot into %s: it boots',
    async (_, flags) => {
      await down();
      const changed = await up(...flags);
      expect(changed.from).toBe('boot');
      expect(changed.snapshot).not.toBe(first.snapshot);
    },
    300_000,
  );

  it('never restores a snapshot into another QEMU binary: it boots', async () => {
    // a program of other bytes that runs the system QEMU: to lab, another QEMU binary
    const qemu = path.join(tempDir('other-qemu'), 'qemu-system-x86_64');
    writeFileSync(qemu, '#!/bin/sh\nexec /usr/bin/qemu-system-x86_64 "$@"\n', { mode: 0o755 });
    await down();
    const other = await up('--qemu', qemu);
    expect(other.from).toBe('boot');
    expect(other.snapshot).not.toBe(first.snapshot);
  }, 300_000);
});
