/**
 * What download() does with the bytes a partial file already holds, on a
 * small server that honours Range as kernel.org does (206, and 416 past the
 * end), and that a fetch that fails ends its progress stage.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { download } from '../../src/fetch/download.js';
import { materializeSource } from '../../src/fetch/source.js';
import { Store } from '../../src/store/store.js';
import type { Progress } from '../../src/progress/progress.js';
import { closeServer } from '../helpers/http.js';

const file = randomBytes(256 << 10);
const sha = createHash('sha256').update(file).digest('hex');
let server: http.Server;
let url: string;
let root: string;
const requests: Array<{ range?: string; status: number }> = [];

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'lab-download-resume-'));
  server = http.createServer((req, res) => {
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const status = !m ? 200 : start >= file.length ? 416 : 206;
    requests.push({ range: req.headers.range, status });
    if (status === 416) {
      res.writeHead(416, { 'content-range': `bytes */${file.length}` }).end();
      return;
    }
    const body = file.subarray(start);
    res.writeHead(status, {
      'content-length': body.length,
      ...(m ? { 'content-range': `bytes ${start}-${file.length - 1}/${file.length}` } : {}),
    });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/linux-6.99.tar.xz`;
});

afterAll(async () => {
  await closeServer(server);
  rmSync(root, { recursive: true, force: true });
});

beforeEach(() => {
  requests.length = 0;
});

function paths(label: string) {
  const dir = mkdtempSync(path.join(root, `${label}-`));
  return { dest: path.join(dir, 'entry', 'linux-6.99.tar.xz'), partialPath: path.join(dir, 'x.part') };
}

describe('a partial file kept from before', () => {
  it('that already holds the whole file (416 on resume) is verified and put in place, not refused', async () => {
    const { dest, partialPath } = paths('whole');
    writeFileSync(partialPath, file);
    await download([url], sha, dest, { partialPath });
    expect(requests).toEqual([{ range: `bytes=${file.length}-`, status: 416 }]);
    expect(readFileSync(dest).equals(file)).toBe(true);
    expect(existsSync(partialPath)).toBe(false);
  });

  it('that is longer than the file is dropped and the file fetched whole', async () => {
    const { dest, partialPath } = paths('longer');
    writeFileSync(partialPath, Buffer.concat([file, Buffer.from('junk')]));
    await download([url], sha, dest, { partialPath });
    expect(requests.map((r) => r.status)).toEqual([416, 200]);
    expect(readFileSync(dest).equals(file)).toBe(true);
  });

  it("that is the start of another file is not the URL's fault: the URL's whole file decides", async () => {
    const { dest, partialPath } = paths('other');
    writeFileSync(partialPath, randomBytes(100 << 10));
    await download([url], sha, dest, { partialPath });
    expect(requests).toEqual([
      { range: `bytes=${100 << 10}-`, status: 206 },
      { range: undefined, status: 200 },
    ]);
    expect(readFileSync(dest).equals(file)).toBe(true);
  });

  it('does not make a whole file that does not match be fetched twice', async () => {
    const { dest, partialPath } = paths('mismatch');
    await expect(download([url], '0'.repeat(64), dest, { partialPath })).rejects.toMatchObject({
      code: 'SHA256_MISMATCH',
    });
    expect(requests).toHaveLength(1);
    expect(existsSync(partialPath)).toBe(false);
  });
});

describe('the progress of a url source', () => {
  it('ends its stage when the fetch fails, so a terminal stops redrawing it', async () => {
    const ended: Array<[string, string | undefined]> = [];
    const progress: Progress = {
      notice() {},
      stage: (name) => ({ update() {}, done: (summary) => ended.push([name, summary]) }),
    };
    const store = new Store(mkdtempSync(path.join(root, 'store-')));
    const missing = url.replace('linux-6.99', 'linux-6.98').replace(/:\d+\//, ':1/');
    await expect(
      materializeSource(
        store,
        { kind: 'url', url: missing, sha256: sha, mirrors: [] },
        { progress, what: 'kernel source' },
      ),
    ).rejects.toMatchObject({ code: 'FETCH_FAILED' });
    expect(ended).toEqual([['fetch linux-6.98.tar.xz', 'failed']]);
  });
});
