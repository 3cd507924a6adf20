import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download } from '../../src/fetch/download.js';
import { materializeSource } from '../../src/fetch/source.js';
import { Store } from '../../src/store/store.js';
import { silentProgress } from '../../src/progress/progress.js';
import { LabError } from '../../src/errors.js';
import { tempDir } from '../helpers/cli.js';
import { closeServer } from '../helpers/http.js';

/**
 * A real .tar.xz of a tiny "kernel tree", served over HTTP with
 * Range support and a switch to drop a transfer halfway.
 */
let tarball: Buffer;
let sha: string;
let server: http.Server;
let base: string;
const requests: Array<{ url: string; range?: string }> = [];
let dropNext = 0;
let deb: Buffer;
let debSha: string;

beforeAll(async () => {
  const dir = tempDir('tree');
  const tree = path.join(dir, 'linux-9.9');
  mkdirSync(tree);
  writeFileSync(path.join(tree, 'Makefile'), 'VERSION = 9\nPATCHLEVEL = 9\nSUBLEVEL = 0\nEXTRAVERSION =\n');
  // incompressible bytes, so the archive is large enough to cut in the middle
  writeFileSync(path.join(tree, 'blob.bin'), randomBytes(3 << 20));
  execaSync('tar', ['-cJf', path.join(dir, 'linux-9.9.tar.xz'), '-C', dir, 'linux-9.9']);
  tarball = readFileSync(path.join(dir, 'linux-9.9.tar.xz'));
  sha = createHash('sha256').update(tarball).digest('hex');
  // the same tarball inside a Debian package, as linux-source-N is
  const pkg = path.join(dir, 'pkg');
  mkdirSync(path.join(pkg, 'DEBIAN'), { recursive: true });
  mkdirSync(path.join(pkg, 'usr', 'src'), { recursive: true });
  writeFileSync(
    path.join(pkg, 'DEBIAN', 'control'),
    'Package: linux-source-9.9\nVersion: 9.9-1\nArchitecture: ' +
      'all\nMaintainer: lab <lab@example.org>\nDescription: test\n',
  );
  writeFileSync(path.join(pkg, 'usr', 'src', 'linux-source-9.9.tar.xz'), tarball);
  execaSync('dpkg-deb', ['--build', '--root-owner-group', pkg, path.join(dir, 'linux-source-9.9_9.9-1_all.deb')]);
  deb = readFileSync(path.join(dir, 'linux-source-9.9_9.9-1_all.deb'));
  debSha = createHash('sha256').update(deb).digest('hex');
  server = http.createServer((req, res) => {
    requests.push({ url: req.url!, range: req.headers.range });
    if (req.url!.endsWith('.deb')) {
      res.writeHead(200, { 'content-length': deb.length }).end(deb);
      return;
    }
    if (req.url === '/missing.tar.xz') {
      res.writeHead(404).end();
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const body = tarball.subarray(start);
    res.writeHead(m ? 206 : 200, {
      'content-length': body.length,
      'content-type': 'application/x-xz',
      ...(m ? { 'content-range': `bytes ${start}-${tarball.length - 1}/${tarball.length}` } : {}),
    });
    if (dropNext > 0) {
      dropNext--;
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => closeServer(server));

describe('download and verify', () => {
  it('downloads a real .tar.xz with the right hash into place', async () => {
    const dir = tempDir('dl');
    const dest = path.join(dir, 'entry', 'linux-9.9.tar.xz');
    await download([`${base}/linux-9.9.tar.xz`], sha, dest, { partialPath: path.join(dir, 'partial', 'x.part') });
    expect(readFileSync(dest).equals(tarball)).toBe(true);
    expect(existsSync(path.join(dir, 'partial', 'x.part'))).toBe(false);
  });

  it('deletes a file whose hash is wrong and names both hashes', async () => {
    const dir = tempDir('dl');
    const dest = path.join(dir, 'entry', 'linux-9.9.tar.xz');
    const wrong = '0'.repeat(64);
    const err = await download([`${base}/linux-9.9.tar.xz`], wrong, dest, {
      partialPath: path.join(dir, 'p.part'),
    }).catch((e) => e);
    expect(err).toBeInstanceOf(LabError);
    expect(err.code).toBe('SHA256_MISMATCH');
    expect(err.message).toContain(`sha256 mismatch (got ${sha.slice(0, 12)}…)`);
    expect(err.message).toContain(`expected sha256 ${wrong}`);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(path.join(dir, 'entry'))).toBe(false);
    expect(existsSync(path.join(dir, 'p.part'))).toBe(false);
  });

  it('resumes with a Range request when the connection drops mid-transfer', async () => {
    const dir = tempDir('dl');
    const dest = path.join(dir, 'linux-9.9.tar.xz');
    requests.length = 0;
    dropNext = 1;
    await download([`${base}/linux-9.9.tar.xz`], sha, dest, { partialPath: path.join(dir, 'p.part') });
    expect(readFileSync(dest).equals(tarball)).toBe(true);
    expect(requests).toHaveLength(2);
    expect(requests[0]!.range).toBeUndefined();
    expect(requests[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(Number(requests[1]!.range!.slice(6, -1))).toBeGreaterThan(0);
  });

  it('keeps the partial file of an interrupted run and resumes it next time', async () => {
    const dir = tempDir('dl');
    const dest = path.join(dir, 'linux-9.9.tar.xz');
    const partial = path.join(dir, 'p.part');
    writeFileSync(partial, tarball.subarray(0, 1 << 20));
    requests.length = 0;
    await download([`${base}/linux-9.9.tar.xz`], sha, dest, { partialPath: partial });
    expect(requests.map((r) => r.range)).toEqual([`bytes=${1 << 20}-`]);
    expect(readFileSync(dest).equals(tarball)).toBe(true);
  });

  it('tries the mirrors in order and names every failure when none works', async () => {
    const dir = tempDir('dl');
    await download([`${base}/missing.tar.xz`, `${base}/linux-9.9.tar.xz`], sha, path.join(dir, 'a.tar.xz'), {
      partialPath: path.join(dir, 'p'),
    });
    const err = await download(
      [`${base}/missing.tar.xz`, 'http://127.0.0.1:1/x.tar.xz'],
      sha,
      path.join(dir, 'b.tar.xz'),
      { partialPath: path.join(dir, 'q') },
    ).catch((e) => e);
    expect(err.code).toBe('FETCH_FAILED');
    expect(err.message).toMatch(/HTTP 404.*ECONNREFUSED/);
  });
});

describe('sources in the store', () => {
  it('fetches, verifies and extracts a URL source once, then serves it from the store', async () => {
    const store = new Store(tempDir('store'));
    const source = { kind: 'url' as const, url: `${base}/linux-9.9.tar.xz`, sha256: sha, mirrors: [] };
    requests.length = 0;
    const first = await materializeSource(store, source, { progress: silentProgress, what: 'test' });
    expect(first.id).toBe(sha);
    expect(readFileSync(path.join(first.tree, 'Makefile'), 'utf8')).toMatch(/VERSION = 9/);
    const second = await materializeSource(store, source, { progress: silentProgress, what: 'test' });
    expect(second.tree).toBe(first.tree);
    expect(requests).toHaveLength(1);
  });

  it('leaves no entry behind when extraction fails', async () => {
    const store = new Store(tempDir('store'));
    const dir = tempDir('bad');
    const notKernel = path.join(dir, 'x.tar.xz');
    mkdirSync(path.join(dir, 'x', 'y'), { recursive: true });
    writeFileSync(path.join(dir, 'x', 'y', 'z'), 'z');
    execaSync('tar', ['-cJf', notKernel, '-C', dir, 'x']);
    const err = await materializeSource(
      store,
      { kind: 'file', path: notKernel },
      { progress: silentProgress, what: 't' },
    ).catch((e) => e);
    expect(err.code).toBe('SOURCE_INVALID');
    expect(existsSync(path.join(store.root, 'sources'))).toBe(false);
    expect(execaSync('ls', [path.join(store.root, 'tmp')]).stdout).toBe('');
  });

  it(
    'takes a kernel tarball out of a Debian package ' + 'fetched by URL and sha256, and names a member it lacks',
    async () => {
      const store = new Store(tempDir('store'));
      const source = {
        kind: 'deb' as const,
        url: `${base}/linux-source-9.9_9.9-1_all.deb`,
        sha256: debSha,
        mirrors: [],
        member: 'usr/src/linux-source-9.9.tar.xz',
      };
      const got = await materializeSource(store, source, { progress: silentProgress, what: 't' });
      expect(got.id).toBe(debSha);
      expect(readFileSync(path.join(got.tree, 'Makefile'), 'utf8')).toMatch(/^VERSION = 9/);
      const again = await materializeSource(store, source, { progress: silentProgress, what: 't' });
      expect(again.tree).toBe(got.tree);
      const other = new Store(tempDir('store'));
      const err = await materializeSource(
        other,
        { ...source, member: 'usr/src/linux-source-9.8.tar.xz' },
        { progress: silentProgress, what: 't' },
      ).catch((e) => e);
      expect(err.line()).toBe(
        'linux-source-9.9_9.9-1_all.deb has no usr/src/linux-source-9.8.tar.xz: ' +
          'check the package URL and the member path',
      );
      expect(other.has('sources', debSha)).toBe(false);
      expect(execaSync('ls', [path.join(other.root, 'tmp')]).stdout).toBe('');
    },
  );

  it('tells which package to install when the Debian source package is missing', async () => {
    const store = new Store(tempDir('store'));
    const err = await materializeSource(
      store,
      { kind: 'debian-package', package: 'linux-source-9.9', path: '/usr/src/none.tar.xz' },
      { progress: silentProgress, what: 't' },
    ).catch((e) => e);
    expect(err.line()).toBe('/usr/src/none.tar.xz is missing: install it with: apt-get install linux-source-9.9');
  });
});

describe('the store', () => {
  it('sweeps the scratch directories of lab processes that are gone, and keeps live ones', async () => {
    const store = new Store(tempDir('store'));
    const mine = await store.scratch('kbuild');
    const deadPid = 2 ** 22 + 12345; // above pid_max's default: never alive
    const here = os.hostname();
    mkdirSync(path.join(store.root, 'tmp', `kbuild-${deadPid}-AbCd12`)); // named before hosts were
    mkdirSync(path.join(store.root, 'tmp', `kernels-1a2b@${here}@${deadPid}-XyZ123`));
    // another node's scratch on a shared store: its pid means nothing here
    mkdirSync(path.join(store.root, 'tmp', `kernels-1a2b@node-07.cluster@${deadPid}-QrS456`));
    expect((await store.sweep()).sort()).toEqual([
      `kbuild-${deadPid}-AbCd12`,
      `kernels-1a2b@${here}@${deadPid}-XyZ123`,
    ]);
    expect(existsSync(mine)).toBe(true);
    expect(existsSync(path.join(store.root, 'tmp', `kernels-1a2b@node-07.cluster@${deadPid}-QrS456`))).toBe(true);
  });

  it('leaves no entry when filling it fails', async () => {
    const store = new Store(tempDir('store'));
    await expect(
      store.ensure('kernels', 'k1', async (dir) => {
        writeFileSync(path.join(dir, 'half'), 'x');
        throw new Error('make failed');
      }),
    ).rejects.toThrow('make failed');
    expect(store.has('kernels', 'k1')).toBe(false);
    expect(execaSync('ls', [path.join(store.root, 'tmp')]).stdout).toBe('');
  });
});
