/**
 * lab pack reads the lab's config from what the build recorded (or lab.lock's
 * pin of the same config): it never configures or builds a kernel, so it is
 * given a store that refuses every use.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBundle } from '../../src/bundle/bundle.js';
import { readLabFile } from '../../src/config/lab-file.js';
import { labPaths } from '../../src/config/paths.js';
import type { BuildRecord } from '../../src/lab/build-record.js';
import type { LabContext } from '../../src/lab/context.js';
import { recordedConfigDiff } from '../../src/lab/lab-config.js';
import { packRuns } from '../../src/lab/pack.js';
import type { LabLock } from '../../src/lock/lock.js';
import { silentProgress } from '../../src/progress/progress.js';
import type { Store } from '../../src/store/store.js';
import { sha256 } from '../../src/util/hash.js';
import { PROJECT, tempDir } from '../helpers/cli.js';

const refusingStore = new Proxy(
  {},
  {
    get: (_, name) => {
      throw new Error(`lab pack used the store (${String(name)})`);
    },
  },
) as Store;

/** A lab directory with one run and a build record of the course's lab.json. */
function labWithBuild(studentConfig: string, labConfig: string | undefined) {
  const dir = tempDir('pack');
  const labFile = path.join(dir, 'lab.json');
  copyFileSync(path.join(PROJECT, 'courses', 'compaction', 'lab.json'), labFile);
  const paths = labPaths(path.join(dir, '.lab'));
  const run = path.join(paths.runs, '20250101-000000');
  mkdirSync(run, { recursive: true });
  writeFileSync(path.join(run, 'manifest.json'), '{}\n');
  const file = (name: string, text: string) => (writeFileSync(path.join(dir, name), text), path.join(dir, name));
  const kernel = {
    config: file('student.config', studentConfig),
    configSha256: sha256(studentConfig),
    bzImage: file('bzImage', 'b'),
    vmlinux: file('vmlinux', 'v'),
    sourceId: 'src',
    compiler: 'gcc',
    key: 'k',
    dir,
    systemMap: file('System.map', 's'),
    gdbScript: file('vmlinux-gdb.py', 'g'),
    version: '6.1.0',
  };
  const build = {
    profile: 'debian',
    kernel,
    rootfs: { kind: 'initramfs', key: 'r', file: file('initramfs.cpio', 'i') },
    qemu: { binary: '/usr/bin/qemu-system-x86_64', version: 'QEMU 7.2' },
    labConfig: labConfig && { lab: labFile, config: file('lab.config', labConfig), configSha256: sha256(labConfig) },
  };
  writeFileSync(paths.build, JSON.stringify({ ...build, builtAt: '2025-01-01T00:00:00Z', seconds: 1 }));
  const ctx: LabContext = {
    store: refusingStore,
    paths,
    progress: silentProgress,
    signal: new AbortController().signal,
    commandLine: [],
  };
  return { dir, labFile, ctx, build: build as unknown as BuildRecord };
}

describe('lab pack: the config diff from what the build recorded', () => {
  it('lists each option the student changed, and packs it as config.diff, without the store', async () => {
    const { dir, labFile, ctx } = labWithBuild('CONFIG_A=y\nCONFIG_B=y\n', 'CONFIG_A=y\n');
    const out = path.join(dir, 'bundle.tar.gz');
    const r = await packRuns(ctx, { lab: labFile, student: 'ada', out });
    expect(r.configChanges).toBe(1);
    const opened = await openBundle(out);
    try {
      expect(readFileSync(path.join(opened.dir, 'config.diff'), 'utf8')).toMatch(/^CONFIG_B: .*y\n$/);
    } finally {
      opened.close();
    }
  });

  it("says nothing differs when the build is the lab's config, recorded or pinned by lab.lock", async () => {
    const same = labWithBuild('CONFIG_A=y\n', 'CONFIG_A=y\n');
    expect(await recordedConfigDiff(same.build, readLabFile(same.labFile), undefined)).toEqual([]);
    const unrecorded = labWithBuild('CONFIG_A=y\n', undefined);
    const pinned = { inputs: { kernelConfig: sha256('CONFIG_A=y\n') } } as LabLock;
    expect(await recordedConfigDiff(unrecorded.build, readLabFile(unrecorded.labFile), pinned)).toEqual([]);
  });

  it('packs no config.diff when neither the build nor lab.lock says what the lab config is', async () => {
    const { dir, labFile, ctx } = labWithBuild('CONFIG_A=y\n', undefined);
    const r = await packRuns(ctx, { lab: labFile, student: 'ada', out: path.join(dir, 'b.tar.gz') });
    expect(r.configChanges).toBeNull();
    expect(r.files).toBe(3);
  });
});
