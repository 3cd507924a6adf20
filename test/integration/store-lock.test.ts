/**
 * The store shared between processes: real lab processes (dist/store) race
 * for one entry, one is killed with SIGKILL mid-fill, and a lock from another
 * machine on a shared filesystem is waited for until its heartbeat stops.
 */
import { existsSync, readFileSync, readdirSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { STALE_MS, staleness, type LockOwner } from '../../src/store/entry-lock.js';
import { PROJECT, tempDir } from '../helpers/cli.js';

const FILLER = path.join(PROJECT, 'test', 'helpers', 'store-filler.mjs');

function filler(root: string, key: string, log: string, fillMs: string) {
  return execa('node', [FILLER, root, 'kernels', key, log, fillMs], { reject: false });
}

function lines(log: string): string[] {
  return existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
}

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const owner = (over: Partial<LockOwner> = {}): LockOwner => ({
  pid: 4242,
  host: 'here',
  token: 't',
  since: '',
  what: 'kernels/k',
  ...over,
});

describe('a store lock', () => {
  it('is stale when its holder on this host is gone, or when no one has touched it for a while', () => {
    const here = { host: 'here', alive: (pid: number) => pid === 4242 };
    expect(staleness(owner(), 1000, here)).toBeUndefined();
    expect(staleness(owner({ pid: 4243 }), 1000, here)).toBe('process 4243 is gone');
    // another node's pid means nothing here: only its heartbeat counts
    expect(staleness(owner({ pid: 4243, host: 'node-07' }), 1000, here)).toBeUndefined();
    expect(staleness(owner({ pid: 4243, host: 'node-07' }), STALE_MS + 1, here)).toMatch(/^untouched for \d+ s$/);
    expect(staleness(undefined, 1000, here)).toBeUndefined();
    expect(staleness(undefined, STALE_MS + 1, here)).toBe('unreadable and untouched');
  });
});

describe('the store in one process', () => {
  it("lets a build that holds an entry's lock end in ensure() for it, while another call chain waits", async () => {
    const store = new Store(tempDir('store-nested'));
    const order: string[] = [];
    const build = store.locked('kernels/k', async () => {
      await new Promise((r) => setTimeout(r, 300));
      order.push('built');
      return store.ensure('kernels', 'k', async () => void order.push('filled'));
    });
    await new Promise((r) => setTimeout(r, 50));
    const other = store.ensure('kernels', 'k', async () => void order.push('filled twice'));
    const [a, b] = await Promise.all([build, other]);
    expect(order).toEqual(['built', 'filled']);
    expect([a.hit, b.hit]).toEqual([false, true]);
  });
});

describe('the store shared by processes', () => {
  it('fills an entry once when processes race for it; the others wait and get it', async () => {
    const root = tempDir('store-race');
    const log = path.join(root, 'log');
    const results = await Promise.all([1, 2, 3].map(() => filler(root, 'k-race', log, '1500')));
    for (const r of results) expect(r.exitCode, r.stderr).toBe(0);
    const fills = lines(log).filter((l) => l.startsWith('fill '));
    expect(fills).toHaveLength(1);
    expect(lines(log).filter((l) => l.startsWith('wait '))).toHaveLength(2);
    const outs = results.map((r) => JSON.parse(r.stdout) as { path: string; hit: boolean });
    expect(new Set(outs.map((o) => o.path)).size).toBe(1);
    expect(outs.filter((o) => !o.hit)).toHaveLength(1);
    expect(readFileSync(path.join(outs[0]!.path, 'made-by'), 'utf8')).toBe(fills[0]!.split(' ')[1]);
    expect(readdirSync(path.join(root, 'locks'))).toEqual([]);
  }, 60_000);

  it('leaves no entry, no lock that blocks and no worker when the filler is killed with SIGKILL', async () => {
    const root = tempDir('store-kill');
    const log = path.join(root, 'log');
    const doomed = filler(root, 'k-kill', log, 'forever');
    await until('the first fill and its worker', () => lines(log).some((l) => l.startsWith('worker ')));
    const worker = Number(
      lines(log)
        .find((l) => l.startsWith('worker '))!
        .split(' ')[1],
    );
    const waiter = filler(root, 'k-kill', log, '10');
    await until('the second process to wait', () => lines(log).some((l) => l.startsWith('wait ')));
    doomed.kill('SIGKILL');
    await doomed;
    const r = await waiter;
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { path: string; hit: boolean };
    expect(out.hit).toBe(false);
    expect(readFileSync(path.join(out.path, 'made-by'), 'utf8')).toBe(String(waiter.pid));
    expect(lines(log).filter((l) => l.startsWith('fill '))).toHaveLength(2);
    // breaking the stale lock swept the killed filler's scratch directory, and its worker with it
    expect(readdirSync(path.join(root, 'tmp'))).toEqual([]);
    expect(existsSync(`/proc/${worker}`) && !readFileSync(`/proc/${worker}/stat`, 'utf8').includes(') Z ')).toBe(false);
    expect(await new Store(root).sweep()).toEqual([]);
  }, 60_000);

  it('waits for a lock held on another machine until its heartbeat stops, then takes it over', async () => {
    const root = tempDir('store-remote');
    const log = path.join(root, 'log');
    mkdirSync(path.join(root, 'locks'));
    const lock = path.join(root, 'locks', 'kernels-k-remote.lock');
    writeFileSync(
      lock,
      JSON.stringify(owner({ host: 'node-07.cluster', pid: 1, token: 'remote', what: 'kernels/k-remote' })),
    );
    const waiter = filler(root, 'k-remote', log, '10');
    await until('the process to wait', () => lines(log).some((l) => l.startsWith('wait ')));
    expect(lines(log)).toEqual([expect.stringMatching(/^wait \d+ for 1$/)]);
    // the remote holder stops touching its lock
    const old = new Date(Date.now() - STALE_MS - 5000);
    utimesSync(lock, old, old);
    const r = await waiter;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ hit: false });
    expect(existsSync(lock)).toBe(false);
  }, 60_000);
});
