/**
 * The url source kind end to end, against a mirror set on 127.0.0.1 laid out
 * like kernel.org (/pub/linux/kernel/v6.x/linux-N.tar.xz) serving a real
 * tar.xz: the first mirror refuses the connection, the second sends the
 * headers and half the body then drops the connection, the third serves the
 * file (with Range, as kernel.org does). kernel.org itself is unreachable from
 * the machines the suite runs on, so this is where the path runs for real.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa, execaSync } from 'execa';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { materializeSource } from '../../src/fetch/source.js';
import { Store } from '../../src/store/store.js';
import type { Progress, StageUpdate } from '../../src/progress/progress.js';
import { InterruptedError, LabError } from '../../src/errors.js';
import { LAB } from '../helpers/cli.js';
import { closeServer } from '../helpers/http.js';
import { labInTerminal } from '../helpers/terminal.js';

const VERSION = '6.99.1';
const NAME = `linux-${VERSION}.tar.xz`;
const KERNEL_PATH = `/pub/linux/kernel/v6.x/${NAME}`;

/** What a mirror does with a request for the tarball. */
type Behaviour =
  | 'serve' // the whole file, or the range asked for (206)
  | 'drop' // the headers of the whole answer, the bytes up to the file's middle, then the connection is cut
  | 'stall' // the same, but the connection is left open and silent
  | 'slow'; // the whole file, 64 KiB every 15 ms

interface Mirror {
  base: string;
  behaviour: Behaviour;
  /** The file it serves (another one to play a mirror with the wrong file). */
  body: () => Buffer;
  log: Array<{ path: string; range?: string; status: number }>;
  server?: http.Server;
}

let root: string;
let tarball: Buffer;
let sha: string;
let refused: Mirror;
let dropping: Mirror;
let serving: Mirror;

function startMirror(behaviour: Behaviour): Promise<Mirror> {
  const mirror: Mirror = { base: '', behaviour, body: () => tarball, log: [] };
  const server = http.createServer((req, res) => {
    const entry: Mirror['log'][number] = { path: req.url!, range: req.headers.range, status: 0 };
    mirror.log.push(entry);
    const reply = (status: number, headers: http.OutgoingHttpHeaders) => {
      entry.status = status;
      res.writeHead(status, headers);
    };
    if (req.url !== KERNEL_PATH) {
      reply(404, { 'content-type': 'text/html' });
      res.end('<h1>404 Not Found</h1>');
      return;
    }
    const file = mirror.body();
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    if (start >= file.length && m) {
      reply(416, { 'content-range': `bytes */${file.length}` });
      res.end();
      return;
    }
    const body = file.subarray(start);
    reply(m ? 206 : 200, {
      'content-length': body.length,
      'content-type': 'application/x-xz',
      'accept-ranges': 'bytes',
      ...(m ? { 'content-range': `bytes ${start}-${file.length - 1}/${file.length}` } : {}),
    });
    const middle = Math.max(0, Math.floor(file.length / 2) - start);
    switch (mirror.behaviour) {
      case 'serve':
        res.end(body);
        return;
      case 'drop':
        res.flushHeaders();
        res.write(body.subarray(0, middle), () => res.socket?.destroy());
        return;
      case 'stall':
        res.write(body.subarray(0, middle));
        return;
      case 'slow': {
        let at = 0;
        const next = () => {
          if (res.destroyed) return;
          const chunk = body.subarray(at, at + (64 << 10));
          at += chunk.length;
          if (at >= body.length) res.end(chunk);
          else res.write(chunk, () => setTimeout(next, 15));
        };
        next();
        return;
      }
    }
  });
  mirror.server = server;
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      mirror.base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      resolve(mirror);
    }),
  );
}

/** A port nothing listens on: bound, then let go, so connecting to it is refused. */
async function refusedMirror(): Promise<Mirror> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return { base: `http://127.0.0.1:${port}`, behaviour: 'serve', body: () => tarball, log: [] };
}

function source(sha256 = sha) {
  return {
    kind: 'url' as const,
    url: refused.base + KERNEL_PATH,
    sha256,
    mirrors: [dropping.base + KERNEL_PATH, serving.base + KERNEL_PATH],
  };
}

/** A Progress that records every stage's updates and how it ended; onUpdate sees each update. */
function recorder(onUpdate?: (u: StageUpdate) => void) {
  const stages: Array<{ name: string; updates: StageUpdate[]; ended?: string }> = [];
  const progress: Progress = {
    notice() {},
    stage(name) {
      const s: (typeof stages)[number] = { name, updates: [] };
      stages.push(s);
      return {
        update(u) {
          s.updates.push(u);
          onUpdate?.(u);
        },
        done(summary) {
          s.ended = summary ?? 'done';
        },
      };
    },
  };
  return { progress, stages };
}

/** The files under a store folder (none when it is absent). */
function filesIn(store: Store, ...folder: string[]): string[] {
  const dir = path.join(store.root, ...folder);
  return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String) : [];
}

function newStore(label: string): Store {
  return new Store(mkdtempSync(path.join(root, `${label}-`)));
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'lab-url-source-'));
  // a kernel-shaped tree: a top-level Makefile (what extraction checks), and
  // enough of kbuild's interface (tinyconfig, olddefconfig, merge_config.sh)
  // for lab build --configure-only to run on it in a blink
  const tree = path.join(root, 'tree', `linux-${VERSION}`);
  mkdirSync(path.join(tree, 'scripts', 'kconfig'), { recursive: true });
  writeFileSync(
    path.join(tree, 'Makefile'),
    [
      'VERSION = 6',
      'PATCHLEVEL = 99',
      'SUBLEVEL = 1',
      'EXTRAVERSION =',
      'tinyconfig:',
      '\tprintf "CONFIG_64BIT=y\\n" > $(O)/.config',
      'olddefconfig:',
      '\ttest -f $(O)/.config',
      '',
    ].join('\n'),
  );
  const merge = path.join(tree, 'scripts', 'kconfig', 'merge_config.sh');
  // merge_config.sh -m -O DIR BASE FRAGMENT...: the fragments after the base, the last line of an option wins
  writeFileSync(
    merge,
    '#!/bin/sh\nshift; shift; out=$1; shift\ncat "$@" > "$out/.config.new"\nmv "$out/.config.new" "$out/.config"\n',
  );
  chmodSync(merge, 0o755);
  // incompressible, so the archive is big enough to cut in the middle and to see its progress
  writeFileSync(path.join(tree, 'blob.bin'), randomBytes(2 << 20));
  const file = path.join(root, 'tree', NAME);
  execaSync('tar', ['-cJf', file, '-C', path.dirname(tree), path.basename(tree)]);
  tarball = readFileSync(file);
  sha = createHash('sha256').update(tarball).digest('hex');
  refused = await refusedMirror();
  dropping = await startMirror('drop');
  serving = await startMirror('serve');
});

afterAll(async () => {
  await Promise.all([dropping, serving].filter((m) => m?.server).map((m) => closeServer(m.server!)));
  if (root) rmSync(root, { recursive: true, force: true });
});

beforeEach(() => {
  dropping.behaviour = 'drop';
  serving.behaviour = 'serve';
  for (const m of [dropping, serving]) {
    m.log.length = 0;
    m.body = () => tarball;
  }
});

describe('a url source from a kernel.org-like mirror set', () => {
  it('is fetched past a refusing mirror and a dropping one, verified and extracted into the store', async () => {
    const store = newStore('chain');
    const { progress, stages } = recorder();
    const got = await materializeSource(store, source(), { progress, what: 'kernel source' });
    expect(got.id).toBe(sha);
    expect(readFileSync(path.join(got.tree, 'Makefile'), 'utf8')).toMatch(/^VERSION = 6\nPATCHLEVEL = 99\n/);
    expect(readFileSync(got.tarball!).equals(tarball)).toBe(true);
    // the second mirror dropped the first transfer halfway; resumed, it sent nothing more and was left
    expect(dropping.log[0]).toEqual({ path: KERNEL_PATH, range: undefined, status: 200 });
    expect(dropping.log.length).toBeGreaterThanOrEqual(2);
    const resumedAt = dropping.log.at(-1)!.range;
    expect(resumedAt).toMatch(/^bytes=[1-9]\d*-$/);
    // the third took over where the partial file stopped
    expect(serving.log).toEqual([{ path: KERNEL_PATH, range: resumedAt, status: 206 }]);
    expect(filesIn(store, 'partial')).toEqual([]);
    // the progress counted bytes, up to the whole file
    const fetch = stages.find((s) => s.name === `fetch ${NAME}`)!;
    expect(fetch.ended).toBe('done');
    expect(fetch.updates.every((u) => u.unit === 'bytes')).toBe(true);
    expect(fetch.updates.at(-1)).toMatchObject({ done: tarball.length, total: tarball.length });
    // and a second time nothing is fetched
    await materializeSource(store, source(), { progress, what: 'kernel source' });
    expect(serving.log).toHaveLength(1);
  });

  it('refuses a tarball whose sha256 is not the pinned one and leaves nothing in the store', async () => {
    const store = newStore('mismatch');
    const wrong = createHash('sha256').update('another tarball').digest('hex');
    const err = await materializeSource(store, source(wrong), {
      progress: recorder().progress,
      what: 'kernel source',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('SHA256_MISMATCH');
    // what each mirror did: refused, cut short, and the whole file with another sha256
    const host = (m: Mirror) => new URL(m.base).host;
    expect((err as LabError).message).toMatch(
      new RegExp(
        `^could not fetch ${NAME.replaceAll('.', '\\.')} \\(${host(refused)}: ECONNREFUSED; ` +
          `${host(dropping)}: [A-Z_]+; ${host(serving)}: sha256 mismatch \\(got ${sha.slice(0, 12)}…\\)\\), ` +
          `expected sha256 ${wrong}; `,
      ),
    );
    // the third mirror completed what the second had begun; it did not verify, so its own whole file was asked for
    expect(serving.log.map((l) => l.status)).toEqual([206, 200]);
    expect(store.has('downloads', wrong)).toBe(false);
    expect(store.has('sources', wrong)).toBe(false);
    expect(filesIn(store, 'downloads')).toEqual([]);
    expect(filesIn(store, 'sources')).toEqual([]);
    // no partial file either, that a later run would resume and take for the start of the file
    expect(filesIn(store, 'partial')).toEqual([]);
    // the store is not poisoned: the right sha256 then fetches and verifies
    const got = await materializeSource(store, source(), { progress: recorder().progress, what: 'kernel source' });
    expect(readFileSync(got.tarball!).equals(tarball)).toBe(true);
  });

  it('names every mirror and what it did when none serves the whole file', async () => {
    serving.behaviour = 'drop';
    const store = newStore('all-drop');
    const err = await materializeSource(store, source(), {
      progress: recorder().progress,
      what: 'kernel source',
    }).catch((e: unknown) => e);
    expect((err as LabError).code).toBe('FETCH_FAILED');
    // in order, each with what it did: refused, and the two cut short (ECONNRESET, as Node names a cut transfer)
    const host = (m: Mirror) => new URL(m.base).host;
    expect((err as LabError).message).toMatch(
      new RegExp(`\\(${host(refused)}: ECONNREFUSED; ${host(dropping)}: [A-Z_]+; ${host(serving)}: [A-Z_]+\\)$`),
    );
  });
});

describe('a mirror that serves the wrong file', () => {
  /** Random bytes as long as the tarball: only the sha256 can tell them from it. */
  const impostor = () => randomBytes(tarball.length);

  it('is passed over like a failing one: the next mirror serves it whole, and the store holds its bytes', async () => {
    const wrongFile = impostor();
    dropping.behaviour = 'serve';
    dropping.body = () => wrongFile;
    const store = newStore('wrong-then-right');
    const two = {
      kind: 'url' as const,
      url: dropping.base + KERNEL_PATH,
      sha256: sha,
      mirrors: [serving.base + KERNEL_PATH],
    };
    const { progress, stages } = recorder();
    const got = await materializeSource(store, two, { progress, what: 'kernel source' });
    expect(dropping.log).toEqual([{ path: KERNEL_PATH, range: undefined, status: 200 }]);
    // the wrong file was deleted, not resumed from: the second mirror was asked for the whole file
    expect(serving.log).toEqual([{ path: KERNEL_PATH, range: undefined, status: 200 }]);
    expect(got.id).toBe(sha);
    expect(readdirSync(store.entry('downloads', sha))).toEqual([NAME]);
    expect(readFileSync(path.join(store.entry('downloads', sha), NAME)).equals(tarball)).toBe(true);
    expect(existsSync(path.join(got.tree, 'Makefile'))).toBe(true);
    expect(filesIn(store, 'partial')).toEqual([]);
    expect(stages.find((s) => s.name === `fetch ${NAME}`)!.ended).toBe('done');
  });

  it('when every mirror fails, one of them by a wrong file, names what each did and stores nothing', async () => {
    const [first, second] = [impostor(), impostor()];
    dropping.behaviour = 'serve';
    dropping.body = () => first;
    serving.body = () => second;
    const store = newStore('all-wrong');
    const { progress, stages } = recorder();
    const err = await materializeSource(store, source(), { progress, what: 'kernel source' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('SHA256_MISMATCH');
    const got = (b: Buffer) => createHash('sha256').update(b).digest('hex').slice(0, 12);
    const host = (m: Mirror) => new URL(m.base).host;
    expect((err as LabError).line()).toBe(
      `could not fetch ${NAME} (${host(refused)}: ECONNREFUSED; ` +
        `${host(dropping)}: sha256 mismatch (got ${got(first)}…); ` +
        `${host(serving)}: sha256 mismatch (got ${got(second)}…)), ` +
        `expected sha256 ${sha}; every wrong file was deleted: check the URL and the pinned sha256`,
    );
    // each mirror was asked once, for the whole file: no wrong bytes were carried over to the next
    expect(dropping.log).toEqual([{ path: KERNEL_PATH, range: undefined, status: 200 }]);
    expect(serving.log).toEqual([{ path: KERNEL_PATH, range: undefined, status: 200 }]);
    expect(store.has('downloads', sha)).toBe(false);
    expect(store.has('sources', sha)).toBe(false);
    expect(filesIn(store, 'downloads')).toEqual([]);
    expect(filesIn(store, 'sources')).toEqual([]);
    expect(filesIn(store, 'partial')).toEqual([]);
    expect(stages.find((s) => s.name === `fetch ${NAME}`)!.ended).toBe('failed');
  });

  it('after a resume is asked for its whole file before it is passed over', async () => {
    const wrongFile = impostor();
    dropping.behaviour = 'serve';
    dropping.body = () => wrongFile;
    const store = newStore('resumed-wrong');
    // a run before left the start of the right file
    const kept = tarball.subarray(0, tarball.length >> 2);
    mkdirSync(path.join(store.root, 'partial'), { recursive: true });
    writeFileSync(path.join(store.root, 'partial', `${sha}.part`), kept);
    const two = {
      kind: 'url' as const,
      url: dropping.base + KERNEL_PATH,
      sha256: sha,
      mirrors: [serving.base + KERNEL_PATH],
    };
    const got = await materializeSource(store, two, { progress: recorder().progress, what: 'kernel source' });
    // resumed, did not verify, fetched whole from the same mirror, did not verify either: next mirror, from scratch
    expect(dropping.log).toEqual([
      { path: KERNEL_PATH, range: `bytes=${kept.length}-`, status: 206 },
      { path: KERNEL_PATH, range: undefined, status: 200 },
    ]);
    expect(serving.log).toEqual([{ path: KERNEL_PATH, range: undefined, status: 200 }]);
    expect(readFileSync(got.tarball!).equals(tarball)).toBe(true);
    expect(filesIn(store, 'partial')).toEqual([]);
  });
});

describe('an interrupted download', () => {
  it('is not taken for a whole one: no entry, and the next run resumes it and verifies', async () => {
    serving.behaviour = 'drop';
    const store = newStore('interrupted');
    const first = await materializeSource(store, source(), {
      progress: recorder().progress,
      what: 'kernel source',
    }).catch((e: unknown) => e);
    expect((first as LabError).code).toBe('FETCH_FAILED');
    expect(store.has('downloads', sha)).toBe(false);
    expect(store.has('sources', sha)).toBe(false);
    const [part] = filesIn(store, 'partial');
    const kept = readFileSync(path.join(store.root, 'partial', part!));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(tarball.length);
    expect(kept.equals(tarball.subarray(0, kept.length))).toBe(true);

    serving.behaviour = 'serve';
    dropping.log.length = 0;
    serving.log.length = 0;
    const got = await materializeSource(store, source(), { progress: recorder().progress, what: 'kernel source' });
    // resumed where the kept bytes end, on every mirror after
    expect(dropping.log[0]).toEqual({ path: KERNEL_PATH, range: `bytes=${kept.length}-`, status: 206 });
    expect(serving.log).toEqual([{ path: KERNEL_PATH, range: dropping.log.at(-1)!.range, status: 206 }]);
    expect(readFileSync(got.tarball!).equals(tarball)).toBe(true);
    expect(existsSync(path.join(got.tree, 'Makefile'))).toBe(true);
    expect(filesIn(store, 'partial')).toEqual([]);
  });

  it('by Ctrl-C (the signal) halfway leaves no entry, and the next run resumes with Range', async () => {
    serving.behaviour = 'stall';
    const store = newStore('aborted');
    const controller = new AbortController();
    const { progress, stages } = recorder((u) => {
      if (u.done >= tarball.length / 2 - 1) controller.abort();
    });
    const only = { kind: 'url' as const, url: serving.base + KERNEL_PATH, sha256: sha, mirrors: [] };
    const err = await materializeSource(store, only, {
      progress,
      signal: controller.signal,
      what: 'kernel source',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect(stages[0]!.ended).toBe('interrupted');
    expect(store.has('downloads', sha)).toBe(false);
    expect(store.has('sources', sha)).toBe(false);
    const [part] = filesIn(store, 'partial');
    const kept = readFileSync(path.join(store.root, 'partial', part!)).length;
    expect(kept).toBeGreaterThan(0);

    serving.behaviour = 'serve';
    serving.log.length = 0;
    const got = await materializeSource(store, only, { progress: recorder().progress, what: 'kernel source' });
    expect(serving.log).toEqual([{ path: KERNEL_PATH, range: `bytes=${kept}-`, status: 206 }]);
    expect(readFileSync(got.tarball!).equals(tarball)).toBe(true);
  });

  it('that had every byte but was not yet renamed is verified, not fetched again forever', async () => {
    const store = newStore('whole-partial');
    mkdirSync(path.join(store.root, 'partial'), { recursive: true });
    writeFileSync(path.join(store.root, 'partial', `${sha}.part`), tarball);
    const got = await materializeSource(store, source(), { progress: recorder().progress, what: 'kernel source' });
    expect(readFileSync(got.tarball!).equals(tarball)).toBe(true);
    expect(filesIn(store, 'partial')).toEqual([]);
  });

  it("from a mirror with another file is not completed with the next mirror's bytes and blamed on it", async () => {
    // the dropping mirror serves some other tarball under the same name
    const other = randomBytes(tarball.length);
    dropping.body = () => other;
    const store = newStore('wrong-prefix');
    const got = await materializeSource(store, source(), { progress: recorder().progress, what: 'kernel source' });
    expect(readFileSync(got.tarball!).equals(tarball)).toBe(true);
    // the resumed file did not verify, so the third mirror was asked for the whole file
    expect(serving.log.map((l) => l.status)).toEqual([206, 200]);
    expect(filesIn(store, 'partial')).toEqual([]);
  });
});

describe('lab build --configure-only with a profile file whose kernel is the url source', () => {
  /** The profile file, and a fresh store and lab directory for one run of the CLI. */
  function setup(label: string) {
    const dir = mkdtempSync(path.join(root, `${label}-`));
    const profile = path.join(dir, 'mirrors.json');
    writeFileSync(
      profile,
      JSON.stringify({ name: 'mirrors', kernel: { source: source() }, qemu: { use: 'system' }, rootfs: 'initramfs' }),
    );
    // the host's toolchain: what is under test is the source, not the build root (build-root.test.ts)
    const args = [
      'build',
      '--configure-only',
      '--toolchain',
      'host',
      '--profile',
      profile,
      '--lab-dir',
      path.join(dir, '.lab'),
    ];
    return { dir, args, store: new Store(path.join(dir, 'store')), env: { LAB_CACHE: path.join(dir, 'store') } };
  }

  const BYTES_LINE = new RegExp(`fetch ${NAME.replaceAll('.', '\\.')} · \\d+% · [\\d.]+ [KM]iB/[\\d.]+ MiB · `);

  it('fetches past the refusing and the dropping mirror, and on a terminal its progress counts bytes', async () => {
    serving.behaviour = 'slow';
    const { dir, args, store, env } = setup('tty');
    const run = await labInTerminal(args, { env, cwd: dir });
    try {
      const code = await run.exited;
      expect(code, run.screen()).toBe(0);
    } finally {
      run.term.kill();
    }
    expect(run.screen()).toMatch(BYTES_LINE);
    // redrawn in place, then the stage's end on its own line
    expect(run.raw()).toContain('\r\x1b[K');
    expect(run.screen()).toMatch(new RegExp(`fetch ${NAME.replaceAll('.', '\\.')}: done \\(`));
    expect(dropping.log[0]).toEqual({ path: KERNEL_PATH, range: undefined, status: 200 });
    expect(dropping.log.slice(1).map((l) => l.status)).toEqual(dropping.log.slice(1).map(() => 206));
    expect(serving.log).toEqual([{ path: KERNEL_PATH, range: dropping.log.at(-1)!.range, status: 206 }]);
    expect(existsSync(path.join(store.entry('sources', sha), 'Makefile'))).toBe(true);
    expect(filesIn(store, 'partial')).toEqual([]);
  });

  it('off a terminal writes whole lines only, and with --json stdout is the record alone', async () => {
    const { dir, args, store, env } = setup('plain');
    const r = await execa(process.execPath, [LAB, ...args], { cwd: dir, env, reject: false, stdin: 'ignore' });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('\r');
    expect(r.stderr).not.toContain('\x1b');
    // one line per stage, as it ends: no bytes counted in place
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.slice(0, 2)).toEqual([
      expect.stringMatching(new RegExp(`^fetch ${NAME.replaceAll('.', '\\.')}: done \\([\\d.]+s\\)$`)),
      expect.stringMatching(new RegExp(`^extract ${NAME.replaceAll('.', '\\.')}: done \\([\\d.]+s\\)$`)),
    ]);
    expect(lines.every((l) => / \([\d.]+s\)$/.test(l))).toBe(true);
    const json = await execa(process.execPath, [LAB, ...args, '--json'], { cwd: dir, env, reject: false });
    expect(json.exitCode, json.stderr).toBe(0);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toMatchObject({ profile: 'mirrors', cached: true });
    expect(store.has('downloads', sha)).toBe(true);
  });

  it('stopped by Ctrl-C halfway stores nothing, and the next run resumes with Range and verifies', async () => {
    serving.behaviour = 'stall';
    const { dir, args, store, env } = setup('ctrl-c');
    const run = await labInTerminal(args, { env, cwd: dir });
    try {
      expect(await run.waitFor(BYTES_LINE), run.screen()).toBe(true);
      run.term.write('\x03');
      expect(await run.exited, run.screen()).toBe(130);
    } finally {
      run.term.kill();
    }
    expect(run.screen()).toMatch(new RegExp(`fetch ${NAME.replaceAll('.', '\\.')}: interrupted`));
    expect(store.has('downloads', sha)).toBe(false);
    expect(store.has('sources', sha)).toBe(false);
    const [part] = filesIn(store, 'partial');
    const kept = readFileSync(path.join(store.root, 'partial', part!)).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(tarball.length);

    serving.behaviour = 'serve';
    dropping.log.length = 0;
    serving.log.length = 0;
    const again = await execa(process.execPath, [LAB, ...args], { cwd: dir, env, reject: false, stdin: 'ignore' });
    expect(again.exitCode, again.stderr).toBe(0);
    // resumed where the kept bytes end (the dropping mirror may add some before it stops progressing)
    expect(dropping.log[0]).toEqual({ path: KERNEL_PATH, range: `bytes=${kept}-`, status: 206 });
    expect(serving.log).toEqual([{ path: KERNEL_PATH, range: dropping.log.at(-1)!.range, status: 206 }]);
    expect(readFileSync(path.join(store.entry('downloads', sha), NAME)).equals(tarball)).toBe(true);
    expect(filesIn(store, 'partial')).toEqual([]);
  });
});
