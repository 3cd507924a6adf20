import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { describe, expect, it } from 'vitest';
import { BUNDLE_MANIFEST, fileHashes, openBundle, writeBundle } from '../../src/bundle/bundle.js';
import { bundleLimits, entryProblem } from '../../src/bundle/entries.js';
import { parseHits } from '../../src/bundle/evidence.js';
import { judgeExercises, type RunEvidence } from '../../src/bundle/exercises.js';
import { applyLabFile, checkExerciseNames, parseLabFile } from '../../src/config/lab-file.js';
import { loadProfile } from '../../src/config/profile.js';
import { installedPackages } from '../../src/util/dpkg-status.js';
import {
  BUILD_PREFIX,
  kernelKeyInputs,
  REPRODUCIBLE_RECIPE,
  reproducibleBuildEnv,
  SOURCE_PREFIX,
} from '../../src/kernel/plan.js';
import {
  compareLocks,
  labSame,
  lockDigest,
  lockText,
  packageChanges,
  parseLock,
  type LabLock,
} from '../../src/lock/lock.js';
import { renderVerify } from '../../src/cli/render-course.js';
import { courseTemplate } from '../../src/lab/init.js';
import { LabError } from '../../src/errors.js';
import { tempDir } from '../helpers/cli.js';
import { labError } from '../helpers/lab-error.js';

const course = readFileSync(courseTemplate(), 'utf8');

describe('lab.json', () => {
  it('parses the course template with its comments: the seed breakpoints and the five scenarios', () => {
    const lab = parseLabFile(course, 'lab.json');
    expect(lab.profile).toBe('debian');
    expect(lab.exercises.map((e) => e.name)).toEqual([
      'seed-breakpoints',
      'manual',
      'direct',
      'kcompactd',
      'proactive',
      'stress',
    ]);
    expect(lab.exercises[0]!.debug!.break).toContain('compact_unlock_should_abort');
    expect(() => checkExerciseNames(lab, 'lab.json', ['compact'], () => true)).not.toThrow();
  });

  it('names the file, the key and what is allowed when a value is wrong', () => {
    const bad = course.replace('"count": 20', '"count": "twenty"');
    expect(labError(() => parseLabFile(bad, '/c/lab.json')).message).toMatch(
      /^\/c\/lab\.json: exercises\.0\.debug\.count: .*expected number/,
    );
    const unknown = course.replace('"profile": "debian",', '"profile": "debian", "kernal": {},');
    const e = labError(() => parseLabFile(unknown, 'lab.json'));
    expect(e.message).toMatch(/\(top level\): unknown key "kernal" \(allowed: .*kernel.*exercises/);
    expect(e.exitCode).toBe(2);
    const rootfs = course.replace('"kind": "debian"', '"kind": "ubuntu"');
    expect(labError(() => parseLabFile(rootfs, 'lab.json')).message).toMatch(
      /rootfs\.kind: .*\(allowed: initramfs, debian\)/,
    );
  });

  it('gives line and column for a syntax error', () => {
    const text = '{\n  "name": "x",\n  "profile": debian\n}';
    expect(labError(() => parseLabFile(text, 'lab.json')).message).toMatch(/^lab\.json:3:14: /);
  });

  it('refuses an exercise that is both debug and scenario, a name given twice, an unknown trigger or scenario', () => {
    const both = {
      name: 'x',
      profile: 'debian',
      exercises: [{ name: 'a', scenario: 'manual', debug: { break: ['compact_zone'] }, expect: {} }],
    };
    expect(labError(() => parseLabFile(JSON.stringify(both), 'lab.json')).message).toMatch(
      /either "debug" or "scenario"/,
    );
    const twice = {
      name: 'x',
      profile: 'debian',
      exercises: [
        { name: 'a', scenario: 'manual', expect: {} },
        { name: 'a', scenario: 'direct', expect: {} },
      ],
    };
    expect(labError(() => parseLabFile(JSON.stringify(twice), 'lab.json')).message).toMatch(/"a" is named twice/);
    const trig = parseLabFile(
      JSON.stringify({
        name: 'x',
        profile: 'debian',
        exercises: [{ name: 'a', debug: { break: ['f'], trigger: 'boom' }, expect: {} }],
      }),
      'l',
    );
    expect(labError(() => checkExerciseNames(trig, 'l', ['compact'], () => true)).message).toMatch(
      /trigger: "boom" is not a trigger \(allowed: compact\)/,
    );
    const scen = parseLabFile(
      JSON.stringify({ name: 'x', profile: 'debian', exercises: [{ name: 'a', scenario: 'nope', expect: {} }] }),
      'l',
    );
    expect(labError(() => checkExerciseNames(scen, 'l', ['compact'], () => false)).message).toMatch(
      /no scenario named "nope"/,
    );
  });

  it(
    'applies its overrides to the profile: files beside lab.json, ' +
      'lab fragments by name, no fallback, extra guest packages',
    () => {
      const base = loadProfile('6.6');
      expect(base.fallback).toBe('debian');
      const data = parseLabFile(
        JSON.stringify({
          name: 'c',
          profile: '6.6',
          kernel: { config: 'my.config', fragments: ['lab.config', 'extra.config'] },
          rootfs: { packages: ['stress-ng'] },
          qemu: 'system',
        }),
        'l',
      );
      const p = applyLabFile(base, data, '/course', (f) => f === '/course/extra.config');
      expect(p.name).toBe('c');
      expect(p.kernel.base).toEqual({ file: '/course/my.config' });
      expect(p.kernel.fragments).toEqual(['lab.config', '/course/extra.config']);
      expect(p.fallback).toBeUndefined();
      expect(p.qemu.use).toBe('system');
      expect(p.guestPackages).toEqual(['stress-ng']);
    },
  );
});

describe('reproducible kernel builds', () => {
  it(
    'fixes user, host, time and build number, and maps both ' +
      'the source and the build directory out of the debug info',
    () => {
      const env = reproducibleBuildEnv(
        '/home/a/.cache/lab/sources/abc',
        '/home/a/.cache/lab/tmp/kbuild-1',
        'Sat, 01 Nov 2025 00:00:00 GMT',
      );
      expect(env).toMatchObject({
        KBUILD_BUILD_USER: 'lab',
        KBUILD_BUILD_HOST: 'lab',
        KBUILD_BUILD_VERSION: '1',
        KBUILD_BUILD_TIMESTAMP: 'Sat, 01 Nov 2025 00:00:00 GMT',
      });
      for (const flags of [env.KCFLAGS!, env.KAFLAGS!]) {
        expect(flags).toContain(`-ffile-prefix-map=/home/a/.cache/lab/sources/abc=${SOURCE_PREFIX}`);
        expect(flags).toContain(`-ffile-prefix-map=/home/a/.cache/lab/tmp/kbuild-1=${BUILD_PREFIX}`);
      }
    },
  );

  it('keys a kernel by its recipe, so one built the old way is never taken for a reproducible one', () => {
    expect(kernelKeyInputs({ sourceId: 's', configSha256: 'c', compiler: 'gcc' }).recipe).toBe(REPRODUCIBLE_RECIPE);
  });
});

function lock(over: Partial<LabLock['inputs']> = {}, outputs: Record<string, string> = {}): LabLock {
  return {
    lockVersion: 1,
    lab: 'course',
    inputs: {
      kernelSource: 'a'.repeat(64),
      kernelBase: 'tinyconfig',
      fragments: { 'lab.config': 'b'.repeat(64), 'systemd.config': 'c'.repeat(64) },
      patches: [],
      kernelConfig: 'd'.repeat(64),
      compiler: 'gcc (Debian 12.2.0-14+deb12u1) 12.2.0',
      qemu: 'QEMU emulator version 7.2.22',
      gdb: 'GNU gdb (Debian 13.1-3) 13.1',
      rootfs: 'debian',
      guestPackages: { libc6: '2.36-9+deb12u13', bash: '5.2.15-2+b9' },
      ...over,
    },
    outputs: { bzImage: 'e'.repeat(64), vmlinux: 'f'.repeat(64), ...outputs },
  };
}

describe('lab.lock', () => {
  it('is the same bytes whatever order its maps were built in, and parses back', () => {
    const a = lock();
    const b = lock({
      fragments: { 'systemd.config': 'c'.repeat(64), 'lab.config': 'b'.repeat(64) },
      guestPackages: { bash: '5.2.15-2+b9', libc6: '2.36-9+deb12u13' },
    });
    expect(lockText(a)).toBe(lockText(b));
    expect(lockDigest(a)).toBe(lockDigest(b));
    expect(parseLock(lockText(a), 'lab.lock')).toEqual(parseLock(lockText(b), 'lab.lock'));
    expect(labError(() => parseLock('{"lockVersion": 4}', 'lab.lock')).message).toMatch(/^lab\.lock: lockVersion: /);
  });

  it('pins the build root package by package, and a version 1 lock (no root) still reads and compares', () => {
    const root = (packages: Record<string, string>, suite = 'bookworm') =>
      ({ kind: 'root', suite, key: 'k', packages }) as const;
    const pinned = lock({ toolchain: root({ 'gcc-12': '12.2.0-14+deb12u1', make: '4.3-4.1' }) });
    const v2 = { ...pinned, lockVersion: 2 as const };
    // the map's order never changes the bytes
    const reordered = {
      ...v2,
      inputs: { ...v2.inputs, toolchain: root({ make: '4.3-4.1', 'gcc-12': '12.2.0-14+deb12u1' }) },
    };
    expect(lockText(v2)).toBe(lockText(reordered));
    expect(parseLock(lockText(v2), 'lab.lock').inputs.toolchain).toEqual(v2.inputs.toolchain);

    expect(compareLocks(v2, v2).find((r) => r.item === 'build root')).toMatchObject({ same: true });
    const moved = compareLocks(v2, lock({ toolchain: root({ 'gcc-12': '12.2.0-14+deb12u2', make: '4.3-4.1' }) }));
    expect(moved.find((r) => r.item === 'build root')).toMatchObject({
      same: false,
      detail: 'gcc-12 moved 12.2.0-14+deb12u1 -> 12.2.0-14+deb12u2',
    });
    const host = compareLocks(v2, lock({ toolchain: { kind: 'host' } })).find((r) => r.item === 'build root');
    expect(host).toMatchObject({ same: false, detail: "bookworm root, 2 packages -> the host's" });
    const otherSuite = compareLocks(
      v2,
      lock({ toolchain: root({ 'gcc-12': '12.2.0-14+deb12u1', make: '4.3-4.1' }, 'trixie') }),
    );
    expect(otherSuite.find((r) => r.item === 'build root')!.detail).toBe('suite bookworm -> trixie');

    // a lock from before build roots: no root row, whatever this machine used
    const v1 = lock();
    expect(parseLock(lockText(v1), 'lab.lock').inputs.toolchain).toBeUndefined();
    expect(compareLocks(v1, pinned).some((r) => r.item === 'build root')).toBe(false);
  });

  it("pins the guest's architecture: a lock that names none is x86_64, and arm64 is another lab", () => {
    const before = lock();
    const x86 = lock({ arch: 'x86_64' });
    const arm = lock({ arch: 'arm64' });
    expect(compareLocks(before, x86).find((r) => r.item === 'architecture')).toMatchObject({ same: true });
    expect(compareLocks(x86, arm).find((r) => r.item === 'architecture')).toMatchObject({
      same: false,
      detail: 'x86_64 -> arm64',
    });
    expect(parseLock(lockText(arm), 'lab.lock').inputs.arch).toBe('arm64');
    expect(() => parseLock(lockText(arm).replace('"arm64"', '"riscv"'), 'lab.lock')).toThrow(/arch/);
  });

  it(
    'says all same for the same lock, and names what differs: a ' +
      'fragment, the .config, the kernel, a compiler, a package that moved',
    () => {
      expect(compareLocks(lock(), lock()).every((r) => r.same)).toBe(true);
      const rows = compareLocks(
        lock(),
        lock(
          {
            fragments: { 'lab.config': '1'.repeat(64), 'systemd.config': 'c'.repeat(64) },
            kernelConfig: '2'.repeat(64),
            compiler: 'gcc (Debian 13.1.0) 13.1.0',
            guestPackages: { libc6: '2.36-9+deb12u14', bash: '5.2.15-2+b9', vim: '9' },
          },
          { bzImage: '3'.repeat(64) },
        ),
      );
      const differ = rows.filter((r) => !r.same).map((r) => r.item);
      expect(differ).toEqual(['kernel .config', 'compiler', 'fragment lab.config', 'guest packages', 'bzImage']);
      expect(rows.find((r) => r.item === 'compiler')!.detail).toBe(
        'gcc (Debian 12.2.0-14+deb12u1) 12.2.0 -> gcc (Debian 13.1.0) 13.1.0',
      );
      expect(rows.find((r) => r.item === 'guest packages')!.detail).toBe(
        'libc6 moved 2.36-9+deb12u13 -> 2.36-9+deb12u14; vim 9 added',
      );
      expect(packageChanges({ a: '1' }, {})).toEqual(['a 1 missing']);
    },
  );

  it("shows the host's own gdb and system QEMU but does not call the lab different for them", () => {
    const here = lock({ gdb: 'GNU gdb (Debian 16.3-1) 16.3', qemu: 'QEMU emulator version 10.0.13' });
    const rows = compareLocks(lock(), here);
    expect(rows.filter((r) => !r.same).map((r) => [r.item, r.hostTool])).toEqual([
      ['QEMU', true],
      ['gdb', true],
    ]);
    expect(labSame(rows)).toBe(true);
    expect(renderVerify({ lockFile: 'lab.lock', rows, same: labSame(rows) })).toMatch(
      /^host +gdb +GNU gdb \(Debian 13\.1-3\) 13\.1 -> GNU gdb \(Debian 16\.3-1\) 16\.3$/m,
    );
    // a QEMU the lab built from a pinned source is the lab's: a different one is a different lab
    const built = 'QEMU emulator version 7.2.22, built from ' + 'a'.repeat(64) + ' with recipe 7.2';
    const other = compareLocks(lock({ qemu: built }), lock({ qemu: built.replace('7.2.22', '7.2.23') }));
    expect(other.find((r) => r.item === 'QEMU')).toMatchObject({ same: false });
    expect(other.find((r) => r.item === 'QEMU')!.hostTool).toBeUndefined();
    expect(labSame(other)).toBe(false);
    expect(labSame(compareLocks(lock(), lock({}, { bzImage: '9'.repeat(64) })))).toBe(false);
  });

  it('reads installed packages from a dpkg status file, leaving removed ones out', () => {
    const status =
      'Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b9\n\nPackage: old\nStatus: deinstall ok ' +
      'config-files\nVersion: 1\n\nPackage: libc6\nStatus: install ' +
      'ok installed\nArchitecture: amd64\nVersion: 2.36-9+deb12u13\n';
    expect(installedPackages(status)).toEqual({ bash: '5.2.15-2+b9', libc6: '2.36-9+deb12u13' });
  });
});

describe('hand-in bundles', () => {
  it('refuses entries that climb out, are absolute, are links or devices, naming them escaped (pure)', () => {
    expect(entryProblem({ path: 'runs/a/hits.jsonl', type: 'File', size: 1 })).toBeUndefined();
    expect(entryProblem({ path: '../etc/passwd', type: 'File', size: 1 })).toMatch(/climbs out/);
    expect(entryProblem({ path: 'runs/../../x', type: 'File', size: 1 })).toMatch(/climbs out/);
    expect(entryProblem({ path: '/etc/passwd', type: 'File', size: 1 })).toMatch(/absolute/);
    expect(entryProblem({ path: 'runs/l', type: 'SymbolicLink', size: 0 })).toMatch(/link/);
    expect(entryProblem({ path: 'runs/l', type: 'Link', size: 0 })).toMatch(/link/);
    expect(entryProblem({ path: 'dev', type: 'CharacterDevice', size: 0 })).toMatch(/CharacterDevice/);
    expect(entryProblem({ path: 'a\x1b]0;t\x07', type: 'File', size: 1 })).toBeUndefined();
    expect(entryProblem({ path: '/x\x1b[2J', type: 'File', size: 1 })).toBe('entry /x\\x1b[2J is an absolute path');
  });

  async function makeBundle(
    files: Record<string, string>,
    options: { manifest?: (m: Record<string, unknown>) => void; unlisted?: string } = {},
  ): Promise<string> {
    const dir = tempDir('bundle-src');
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
    }
    const listed = Object.keys(files).filter((f) => f !== options.unlisted);
    const manifest: Record<string, unknown> = {
      bundleVersion: 1,
      lab: 'course',
      student: 'ada',
      createdAt: '2026-01-01T00:00:00Z',
      lockDigest: null,
      runs: ['r1'],
      files: await fileHashes(dir, listed),
    };
    options.manifest?.(manifest);
    writeFileSync(path.join(dir, BUNDLE_MANIFEST), JSON.stringify(manifest));
    const out = path.join(tempDir('bundle'), 'b.tar.gz');
    await writeBundle(dir, Object.keys(files), out);
    return out;
  }

  function checkDirs(): string[] {
    return readdirSync(os.tmpdir()).filter((d) => d.startsWith('lab-check-'));
  }

  it('unpacks a good bundle into a temporary directory that close() removes', async () => {
    const before = checkDirs().length;
    const file = await makeBundle({ 'runs/r1/manifest.json': '{"kind":"debug"}', 'build.json': '{}' });
    const b = await openBundle(file);
    expect(b.manifest.student).toBe('ada');
    expect(readFileSync(path.join(b.dir, 'runs/r1/manifest.json'), 'utf8')).toBe('{"kind":"debug"}');
    b.close();
    expect(existsSync(b.dir)).toBe(false);
    expect(checkDirs().length).toBe(before);
  });

  it('refuses a changed file, an unlisted file, a missing bundle.json, and leaves no directory behind', async () => {
    const before = checkDirs().length;
    const changed = await makeBundle(
      { 'runs/r1/hits.jsonl': '{}' },
      { manifest: (m) => void ((m.files as Record<string, string>)['runs/r1/hits.jsonl'] = '0'.repeat(64)) },
    );
    await expect(openBundle(changed)).rejects.toThrow(/runs\/r1\/hits\.jsonl does not match its sha256/);
    const unlisted = await makeBundle({ 'runs/r1/a': 'x', 'runs/r1/extra': 'y' }, { unlisted: 'runs/r1/extra' });
    await expect(openBundle(unlisted)).rejects.toThrow(/runs\/r1\/extra is not listed/);
    const dir = tempDir('bare');
    writeFileSync(path.join(dir, 'x'), 'x');
    const bare = path.join(dir, 'bare.tar.gz');
    await tar.create({ gzip: true, file: bare, cwd: dir }, ['x']);
    await expect(openBundle(bare)).rejects.toThrow(/has no bundle\.json/);
    expect(checkDirs().length).toBe(before);
  });

  it("refuses a student's or a lab's name that is not plain: it would print as escape sequences or rows", async () => {
    const named = (student: string) =>
      makeBundle({ 'runs/r1/a': 'x' }, { manifest: (m) => void (m.student = student) });
    for (const student of ['\x1b]0;title\x07', 'ada\nbob  seed  pass', 'a'.repeat(65), '-ada'])
      await expect(openBundle(await named(student)), JSON.stringify(student)).rejects.toThrow(
        /b\.tar\.gz refused: bundle\.json: student: a student name is (letters|at most 64)/,
      );
    const lab = await makeBundle({ 'runs/r1/a': 'x' }, { manifest: (m) => void (m.lab = 'course\r') });
    await expect(openBundle(lab)).rejects.toThrow(/bundle\.json: lab: a lab name is letters/);
    const ok = await openBundle(await named('Ada.Lovelace_1815-x'));
    ok.close();
  });

  it('refuses a ../ entry, a symlink and an oversized bundle before writing anything', async () => {
    const root = tempDir('evil');
    mkdirSync(path.join(root, 'in'));
    writeFileSync(path.join(root, 'outside'), 'pwned');
    writeFileSync(path.join(root, 'in', BUNDLE_MANIFEST), '{}');
    const climbing = path.join(root, 'climb.tar.gz');
    await tar.create({ gzip: true, file: climbing, cwd: path.join(root, 'in'), preservePaths: true }, [
      BUNDLE_MANIFEST,
      '../outside',
    ]);
    await expect(openBundle(climbing)).rejects.toThrow(
      /climb\.tar\.gz refused: entry \.\.\/outside climbs out of the bundle/,
    );
    symlinkSync('/etc/passwd', path.join(root, 'in', 'link'));
    const linked = path.join(root, 'link.tar.gz');
    await tar.create({ gzip: true, file: linked, cwd: path.join(root, 'in') }, [BUNDLE_MANIFEST, 'link']);
    await expect(openBundle(linked)).rejects.toThrow(/entry link is a link/);
    await expect(openBundle(linked, { compressedBytes: 10, unpackedBytes: 1 << 20, entries: 10 })).rejects.toThrow(
      /it is 1\d\d bytes \(the limit is 10 bytes\)/,
    );
    writeFileSync(path.join(root, 'not.tar.gz'), 'not a tarball');
    await expect(openBundle(path.join(root, 'not.tar.gz'))).rejects.toThrow(/refused: it is not a \.tar\.gz/);
  });
});

function hitOf(breakpoint: string, functions: string[]): RunEvidence['hits'][number] {
  const frames = functions.map((f, i) => ({ function: f, file: null, line: null, pc: `0x${i}`, inlined: false }));
  return { seq: null, breakpoint, function: functions[0] ?? null, frames };
}

describe('exercises judged from runs', () => {
  const exercises = parseLabFile(course, 'lab.json').exercises;
  const demo: RunEvidence = {
    id: 'r-debug',
    kind: 'debug',
    breakpoints: [
      'kcompactd',
      'kcompactd_do_work',
      'compact_zone',
      'compact_unlock_should_abort',
      'isolate_freepages_block',
    ],
    hits: [
      hitOf('compact_zone', ['compact_zone', 'compact_node', 'sysctl_compaction_handler']),
      hitOf('compact_unlock_should_abort', ['compact_unlock_should_abort', 'isolate_freepages_block']),
    ],
    unreadableHits: 0,
    verdicts: [],
    context: {},
  };
  const proactive: RunEvidence = {
    id: 'r-pro',
    kind: 'scenario',
    scenario: 'proactive',
    breakpoints: ['proactive_compact_node'],
    hits: [],
    unreadableHits: 0,
    context: {},
    verdicts: [
      {
        path: 'proactive',
        ok: true,
        fired: true,
        rows: [{ what: 'compact_migrate_scanned (vmstat delta)', got: '166182', met: true }],
      },
    ],
  };

  it('passes the seed exercise on a demo run, with the hits as evidence; a scenario by its verdicts', () => {
    const results = judgeExercises(exercises, [demo, proactive]);
    const seed = results.find((r) => r.exercise === 'seed-breakpoints')!;
    expect(seed).toMatchObject({ pass: true, run: 'r-debug' });
    expect(seed.evidence).toBe(
      'hits: compact_zone 1, compact_unlock_should_abort 1; frames have compact_zone, sysctl_compaction_handler',
    );
    expect(results.find((r) => r.exercise === 'proactive')).toMatchObject({
      pass: true,
      evidence: 'proactive fired: compact_migrate_scanned (vmstat delta) 166182',
    });
    expect(results.find((r) => r.exercise === 'direct')).toMatchObject({
      pass: false,
      evidence: 'no run of the direct scenario',
    });
  });

  it('fails the seed exercise by name when the hits lack compact_zone', () => {
    const noZone = { ...demo, hits: demo.hits.filter((h) => h.breakpoint !== 'compact_zone') };
    const seed = judgeExercises(exercises, [noZone]).find((r) => r.exercise === 'seed-breakpoints')!;
    expect(seed.pass).toBe(false);
    expect(seed.evidence).toMatch(
      /^no hit in compact_zone; compact_zone in no frame; sysctl_compaction_handler in no frame/,
    );
    const failing = { ...proactive, verdicts: [{ ...proactive.verdicts[0]!, ok: false, fired: false }] };
    expect(judgeExercises(exercises, [failing]).find((r) => r.exercise === 'proactive')).toMatchObject({ pass: false });
  });

  it('reads hits.jsonl defensively: a broken line, a foreign object, a frame without a pc are counted', () => {
    const frames = '[{"function":"compact_zone","pc":"0x1"}]';
    const good = `{"seq":1,"breakpoint":"compact_zone","function":"compact_zone","frames":${frames}}`;
    const text = `${good}\nnot json\n{"no":"breakpoint"}\n{"breakpoint":"x","frames":[{"function":"x"}]}\n`;
    expect(parseHits(text)).toEqual({
      hits: [
        {
          seq: 1,
          breakpoint: 'compact_zone',
          function: 'compact_zone',
          frames: [{ function: 'compact_zone', file: null, line: null, pc: '0x1', inlined: false }],
        },
      ],
      unreadable: 3,
    });
  });
});

describe('lab debug --exercise', () => {
  it(
    "takes the exercise's breakpoints, trigger and count, keeps " +
      'the other flags, and points a scenario exercise at lab run',
    async () => {
      const { withExercise } = await import('../../src/lab/debug.js');
      const exercises = parseLabFile(course, 'lab.json').exercises;
      const flags = withExercise(
        { exercise: 'seed-breakpoints', break: ['x'], count: 10, timeout: 30, via: 'kgdb' },
        exercises,
        'lab.json',
      );
      expect(flags).toMatchObject({
        break: exercises[0]!.debug!.break,
        trigger: 'compact',
        count: 20,
        timeout: 30,
        via: 'kgdb',
      });
      expect(
        labError(() => withExercise({ exercise: 'proactive', count: 10, timeout: 30 }, exercises, 'lab.json')).line(),
      ).toBe('lab.json has no debug exercise "proactive": it is a scenario: lab run proactive');
      expect(
        labError(() => withExercise({ exercise: 'nope', count: 10, timeout: 30 }, exercises, 'lab.json')).line(),
      ).toBe('lab.json has no debug exercise "nope": choose one of seed-breakpoints');
    },
  );
});

describe('lab check --max-size', () => {
  it('takes a whole number of MiB from 1 to 1024, by multiplication', () => {
    expect(bundleLimits(undefined).compressedBytes).toBe(64 * 2 ** 20);
    expect(bundleLimits(1024).compressedBytes).toBe(2 ** 30);
    expect(bundleLimits(1).compressedBytes).toBe(2 ** 20);
    for (const bad of [4096, 0, -1, 1.5, Number.NaN]) {
      const err = (() => {
        try {
          bundleLimits(bad);
        } catch (e) {
          return e as LabError;
        }
      })();
      expect(err).toBeInstanceOf(LabError);
      expect(err!.exitCode).toBe(2);
    }
    expect(() => bundleLimits(Number.NaN)).toThrow('--max-size is not a number');
    expect(() => bundleLimits(4096)).toThrow('--max-size 4096 is not a whole number of MiB from 1 to 1024');
  });
});
