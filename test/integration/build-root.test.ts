import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { storeRoot } from '../../src/config/paths.js';
import { loadProfile } from '../../src/config/profile.js';
import { LabError } from '../../src/errors.js';
import { materializeSource } from '../../src/fetch/source.js';
import { buildFragmenter } from '../../src/image/guest-tools.js';
import { busyboxOf } from '../../src/image/initramfs.js';
import { debianMirror } from '../../src/image/debian-plan.js';
import { configureKernel } from '../../src/kernel/configure.js';
import { parseConfig } from '../../src/kernel/config.js';
import { execute } from '../../src/process/runner.js';
import { silentProgress } from '../../src/progress/progress.js';
import { Store } from '../../src/store/store.js';
import { ensureBuildRoot, type BuildRoot } from '../../src/toolchain/build-root.js';
import { inside, type Toolchain } from '../../src/toolchain/toolchain.js';
import { elfNeedsInterpreter } from '../../src/util/elf.js';
import { tempDir } from '../helpers/cli.js';

/** The build root of the shared store: made once (about a minute, ~470 MB), then a store hit. */
let root: BuildRoot;
let tc: Toolchain;

beforeAll(async () => {
  const logFile = path.join(tempDir('root-log'), 'build-root.log');
  root = await ensureBuildRoot(
    new Store(storeRoot()),
    { mirror: debianMirror() },
    { progress: silentProgress, logFile },
  );
  tc = { kind: 'root', root };
}, 15 * 60_000);

describe("the build root: one Debian toolchain whatever the host's", () => {
  it('is a bookworm root keyed by what is installed in it, found again without the network', async () => {
    expect(root.suite).toBe('bookworm');
    expect(root.packages['gcc-12']).toMatch(/^12\./);
    expect(root.packages['busybox-static']).toBeDefined();
    expect(root.compiler).toMatch(/^gcc \(Debian 12\./);
    // pinned by lab.lock's packages: the same root, from the store, no mirror asked
    const again = await ensureBuildRoot(
      new Store(storeRoot()),
      { mirror: 'http://127.0.0.1:9/nowhere', pins: root.packages },
      { progress: silentProgress, logFile: path.join(tempDir('root-log'), 'l') },
    );
    expect(again).toMatchObject({ key: root.key, cached: true });
  });

  it("compiles the fragmenter with the root's gcc and static libc, whatever CC and PATH the host has", async () => {
    const fakeBin = tempDir('fake-gcc');
    writeFileSync(path.join(fakeBin, 'gcc'), '#!/bin/sh\necho "a host gcc ran" >&2\nexit 1\n');
    chmodSync(path.join(fakeBin, 'gcc'), 0o755);
    const saved = { PATH: process.env.PATH, CC: process.env.CC };
    process.env.PATH = `${fakeBin}:${process.env.PATH}`;
    process.env.CC = path.join(fakeBin, 'gcc');
    try {
      const store = new Store(tempDir('frag-store'));
      const built = await buildFragmenter(store, tc, 'x86_64');
      const binary = readFileSync(built.file);
      expect(elfNeedsInterpreter(binary)).toBe(false);
      // glibc's static startup records the toolchain it came from
      expect(execFileSync('strings', ['-a', built.file]).toString()).toMatch(/GCC: \(Debian 12\.2\.0/);
      const second = await buildFragmenter(new Store(tempDir('frag-store')), tc, 'x86_64');
      expect(readFileSync(second.file).equals(binary)).toBe(true);
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.CC === undefined) delete process.env.CC;
      else process.env.CC = saved.CC;
    }
  }, 120_000);

  it("takes the initramfs's busybox from the root, a static one", () => {
    const busybox = busyboxOf(tc);
    expect(busybox.startsWith(root.tree)).toBe(true);
    expect(elfNeedsInterpreter(readFileSync(busybox))).toBe(false);
  });

  it("makes the kernel's config with the root's compiler: the .config names it, not the host's", async () => {
    const source = await materializeSource(new Store(storeRoot()), loadProfile('debian').kernel.source, {
      progress: silentProgress,
      what: 'test',
    });
    const store = new Store(tempDir('cfg'));
    const fragment = path.resolve(import.meta.dirname, '..', '..', 'kernel-configs', 'lab.config');
    const r = await configureKernel(
      store,
      { source, base: 'tinyconfig', fragments: [fragment], toolchain: tc, arch: 'x86_64' },
      { progress: silentProgress, logFile: path.join(tempDir('log'), 'k.log') },
    );
    expect(parseConfig(r.config).get('CONFIG_CC_VERSION_TEXT')).toBe(JSON.stringify(root.compiler));
    // merge_config.sh writes its temporary files where it runs: never in the (read-only) source
    expect(readdirSync(source.tree).filter((n) => n.startsWith('.tmp'))).toEqual([]);
  }, 180_000);

  it('shows a step nothing but its binds: the source read-only, no network, no host files', async () => {
    const src = tempDir('ro-src');
    const out = tempDir('rw-out');
    const probe = (args: string[]) =>
      execute(
        inside(
          tc,
          { program: { path: '/bin/sh' }, args: ['-c', ...args], what: 'probe' },
          { '/lab/linux': src, '/lab/out': out },
        ),
      );
    expect((await probe(['touch /lab/linux/x'])).exitCode).not.toBe(0);
    expect((await probe(['touch /lab/out/x'])).exitCode).toBe(0);
    expect(existsSync(path.join(out, 'x'))).toBe(true);
    expect(existsSync(path.join(src, 'x'))).toBe(false);
    // only the loopback interface: the build cannot fetch anything
    const net = await probe(['cat /proc/net/dev']);
    expect(net.stdout.toString()).not.toMatch(/eth|ens|enp|wl/);
    // the host's home and store are not there
    expect((await probe([`test -e ${JSON.stringify(storeRoot())}`])).exitCode).not.toBe(0);
    mkdirSync(path.join(out, 'sub'));
  });

  it(
    'refuses a root whose packages moved from the pins, and keeps nothing of it',
    async () => {
      const store = new Store(tempDir('drift-store'));
      const pins = { ...root.packages, 'gcc-12': '12.2.0-0lab1' };
      const err = await ensureBuildRoot(
        store,
        { mirror: debianMirror(), pins },
        { progress: silentProgress, logFile: path.join(tempDir('root-log'), 'l') },
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LabError);
      expect((err as LabError).code).toBe('BUILD_ROOT_DRIFT');
      expect((err as LabError).message).toMatch(/gcc-12 moved 12\.2\.0-0lab1 -> 12\.2\.0/);
      expect(existsSync(path.join(store.root, 'root-current'))).toBe(false);
      expect(readdirSync(path.join(store.root, 'tmp'))).toEqual([]);
    },
    15 * 60_000,
  );
});
