import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { configureKernel } from '../../src/kernel/configure.js';
import { parseConfig } from '../../src/kernel/config.js';
import { loadProfile } from '../../src/config/profile.js';
import { storeRoot } from '../../src/config/paths.js';
import { materializeSource, type MaterializedSource } from '../../src/fetch/source.js';
import { Store } from '../../src/store/store.js';
import { silentProgress } from '../../src/progress/progress.js';
import { LabError } from '../../src/errors.js';
import { tempDir } from '../helpers/cli.js';
import { HOST_TOOLCHAIN } from '../../src/toolchain/toolchain.js';

const LAB_FRAGMENT = path.resolve(import.meta.dirname, '..', '..', 'kernel-configs', 'lab.config');

/** The real Debian 6.1 source (linux-source-6.1's .deb from the pool), extracted once into the shared store. */
let source: MaterializedSource;

beforeAll(async () => {
  source = await materializeSource(new Store(storeRoot()), loadProfile('debian').kernel.source, {
    progress: silentProgress,
    what: 'test',
  });
}, 5 * 60_000);

describe('kernel config merge on the real Debian 6.1 source', () => {
  it('merges the lab fragment into tinyconfig and verifies every required option', async () => {
    const store = new Store(tempDir('cfg'));
    const log = path.join(tempDir('log'), 'k.log');
    const r = await configureKernel(
      store,
      { source, base: 'tinyconfig', fragments: [LAB_FRAGMENT], toolchain: HOST_TOOLCHAIN, arch: 'x86_64' },
      { progress: silentProgress, logFile: log },
    );
    expect(r.cached).toBe(false);
    const c = parseConfig(r.config);
    expect(c.get('CONFIG_DEBUG_INFO')).toBe('y');
    expect(c.get('CONFIG_GDB_SCRIPTS')).toBe('y');
    expect(c.get('CONFIG_COMPACTION')).toBe('y');
    expect(c.get('CONFIG_RANDOMIZE_BASE') ?? null).toBeNull();
    expect(readFileSync(log, 'utf8')).toMatch(/merged configuration written/);
    // a scratch build dir never outlives the call; the config entry is whole
    expect(readdirSync(path.join(store.root, 'tmp'))).toEqual([]);
    expect(existsSync(path.join(store.entry('configs', r.configKey), 'config'))).toBe(true);
    const again = await configureKernel(
      store,
      { source, base: 'tinyconfig', fragments: [LAB_FRAGMENT], toolchain: HOST_TOOLCHAIN, arch: 'x86_64' },
      { progress: silentProgress, logFile: log },
    );
    expect(again).toMatchObject({ cached: true, configKey: r.configKey, config: r.config });
  }, 120_000);

  it('names the option a fragment asked for that could not take effect, and stores nothing', async () => {
    const store = new Store(tempDir('cfg'));
    const dir = tempDir('frag');
    const impossible = path.join(dir, 'arm-only.config');
    // software tag-based KASAN exists only on arm64: on x86 its dependency is off
    writeFileSync(impossible, 'CONFIG_KASAN=y\nCONFIG_KASAN_SW_TAGS=y\n');
    const err = await configureKernel(
      store,
      { source, base: 'tinyconfig', fragments: [LAB_FRAGMENT, impossible], toolchain: HOST_TOOLCHAIN, arch: 'x86_64' },
      {
        progress: silentProgress,
        logFile: path.join(dir, 'k.log'),
      },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(LabError);
    expect(err.code).toBe('CONFIG_UNMET');
    expect(err.message).toMatch(
      /CONFIG_KASAN_SW_TAGS wanted =y, got absent \(a dependency is off\) \(arm-only\.config:2\)/,
    );
    expect(existsSync(path.join(store.root, 'configs'))).toBe(false);
    expect(readdirSync(path.join(store.root, 'tmp'))).toEqual([]);
  }, 120_000);
});
