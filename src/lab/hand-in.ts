import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tmp from 'tmp';
import {
  BUNDLE_MANIFEST,
  BUNDLE_VERSION,
  fileHashes,
  openBundle,
  regularFiles,
  writeBundle,
  type BundleManifest,
} from '../bundle/bundle.js';
import { readBundleBuilt, refuseBundleRows } from '../bundle/built.js';
import { BUNDLE_LIMITS } from '../bundle/entries.js';
import { readRunEvidence, runDirs } from '../bundle/evidence.js';
import { judgeExercises } from '../bundle/exercises.js';
import { chooseProfile, type LabFile } from '../config/lab-file.js';
import { LabError } from '../errors.js';
import { configChanges, parseConfig } from '../kernel/config.js';
import { lockDigest } from '../lock/lock.js';
import { sha256File } from '../util/hash.js';
import { configureLab } from './build.js';
import { readBuildRecord } from './build-record.js';
import type { LabContext } from './context.js';
import { lockFileOf, readLock } from './lock.js';

export interface PackFlags {
  runs?: string[];
  out?: string;
  student?: string;
  lab?: string;
}

/** What a bundle never carries, whatever a run directory holds. */
function isPrivate(file: string): boolean {
  const base = path.basename(file);
  return /^id_/.test(base) || /\.(ext4|qcow2|cpio|img|key|pem)$/.test(base);
}

/** The student's kernel .config against the lab's, one "NAME: lab -> student" line per option. */
async function configDiff(ctx: LabContext, labFile: LabFile, studentConfig: string): Promise<string[]> {
  const lab = await configureLab(ctx, { lab: labFile.file });
  return configChanges(
    parseConfig(await readFile(lab.config, 'utf8')),
    parseConfig(await readFile(studentConfig, 'utf8')),
  );
}

/** lab pack: the runs, their manifests, build.json, the config diff and the lock digest in one .tar.gz. */
export async function packRuns(
  ctx: LabContext,
  flags: PackFlags,
): Promise<{
  file: string;
  runs: string[];
  files: number;
  bytes: number;
  configChanges: number;
  lockDigest: string | null;
}> {
  const { labFile } = chooseProfile({ lab: flags.lab });
  const build = await readBuildRecord(ctx.paths);
  const all = await runDirs(ctx.paths.runs);
  const chosen = flags.runs?.length
    ? flags.runs.map((r) => {
        const dir = all.find((d) => path.basename(d) === path.basename(r));
        if (!dir) throw new LabError('RUN_UNKNOWN', `no run ${r} in ${ctx.paths.runs}`);
        return dir;
      })
    : all.filter((d) => existsSync(path.join(d, 'manifest.json')));
  if (chosen.length === 0) throw new LabError('NO_RUNS', `there are no runs in ${ctx.paths.runs}`);
  const student = flags.student ?? process.env.USER ?? os.userInfo().username;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(student))
    throw new LabError('BAD_OPTION', `--student "${student}" is not a plain name`, {
      hint: 'letters, digits, ".", "_" and "-"',
    });
  const labName = labFile?.data.name ?? build.profile;
  const lockFile = labFile ? lockFileOf(labFile) : undefined;
  const digest = lockFile && existsSync(lockFile) ? lockDigest(await readLock(lockFile)) : null;

  const staged = tmp.dirSync({ prefix: 'lab-pack-', unsafeCleanup: true });
  try {
    const files: string[] = [];
    for (const dir of chosen) {
      for (const rel of await regularFiles(dir)) {
        if (isPrivate(rel)) continue;
        const to = path.join('runs', path.basename(dir), rel);
        await mkdir(path.dirname(path.join(staged.name, to)), { recursive: true });
        await copyFile(path.join(dir, rel), path.join(staged.name, to));
        files.push(to);
      }
    }
    const built = {
      kernelSource: build.kernel.sourceId,
      kernelConfig: build.kernel.configSha256,
      compiler: build.kernel.compiler,
      qemu: build.qemu.version,
      bzImage: await sha256File(build.kernel.bzImage),
      vmlinux: await sha256File(build.kernel.vmlinux),
    };
    await writeFile(path.join(staged.name, 'build.json'), JSON.stringify({ ...build, built }, null, 2) + '\n');
    files.push('build.json');
    const changes = labFile ? await configDiff(ctx, labFile, build.kernel.config) : [];
    await writeFile(path.join(staged.name, 'config.diff'), changes.map((c) => `${c}\n`).join(''));
    files.push('config.diff');
    const manifest: BundleManifest = {
      bundleVersion: BUNDLE_VERSION,
      lab: labName,
      student,
      createdAt: new Date().toISOString(),
      lockDigest: digest,
      runs: chosen.map((d) => path.basename(d)),
      files: await fileHashes(staged.name, files),
    };
    await writeFile(path.join(staged.name, BUNDLE_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    const out = path.resolve(flags.out ?? `${labName}-${student}.tar.gz`);
    await writeBundle(staged.name, files.sort(), out);
    const { size } = await stat(out);
    return {
      file: out,
      runs: manifest.runs,
      files: files.length + 1,
      bytes: size,
      configChanges: changes.length,
      lockDigest: digest,
    };
  } finally {
    staged.removeCallback();
  }
}

export interface CheckFlags {
  bundles: string[];
  lab?: string;
  maxSizeMib?: number;
  /** Check only these exercises (this week's), by name. */
  exercises?: string[];
  signal?: AbortSignal;
}

export interface CheckRow {
  bundle: string;
  student: string;
  exercise: string;
  result: 'pass' | 'fail' | 'refused';
  evidence: string;
}

/** The bundle's built kernel against lab.lock (pure). */
function lockEvidence(
  built: Record<string, unknown> | undefined,
  pinned: Awaited<ReturnType<typeof readLock>> | undefined,
  digest: string | null,
): { pass: boolean; evidence: string } {
  if (!pinned) return { pass: true, evidence: 'no lab.lock beside lab.json: nothing to compare' };
  if (!built) return { pass: false, evidence: 'build.json records no hashes' };
  const pairs: Array<[string, unknown, string | undefined]> = [
    ['kernel source', built.kernelSource, pinned.inputs.kernelSource],
    ['kernel .config', built.kernelConfig, pinned.inputs.kernelConfig],
    ['compiler', built.compiler, pinned.inputs.compiler],
    ['bzImage', built.bzImage, pinned.outputs.bzImage],
    ['vmlinux', built.vmlinux, pinned.outputs.vmlinux],
  ];
  const differ = pairs.filter(([, a, b]) => a !== b).map(([name]) => name);
  const lockNote =
    digest === lockDigest(pinned)
      ? 'packed against this lab.lock'
      : digest
        ? 'packed against another lab.lock'
        : 'packed without a lab.lock';
  if (differ.length) return { pass: false, evidence: `differs from lab.lock: ${differ.join(', ')} (${lockNote})` };
  return {
    pass: true,
    evidence: `kernel source, .config, compiler, bzImage and vmlinux as lab.lock pins (${lockNote})`,
  };
}

/** lab check: each bundle's structure, its build against lab.lock, and every exercise of lab.json. */
export async function checkBundles(
  flags: CheckFlags,
): Promise<{ rows: CheckRow[]; passed: boolean; bundles: number; seconds: number }> {
  const started = Date.now();
  const { labFile } = chooseProfile({ lab: flags.lab });
  if (!labFile)
    throw new LabError('NO_LAB_FILE', `there is no ${path.join(process.cwd(), 'lab.json')} to check against`);
  if (flags.bundles.length === 0)
    throw new LabError('BUNDLE_MISSING', 'no bundle given', { hint: 'lab check BUNDLE.tar.gz...' });
  const known = labFile.data.exercises.map((e) => e.name);
  const unknown = flags.exercises?.find((e) => !known.includes(e));
  if (unknown)
    throw new LabError('EXERCISE_UNKNOWN', `${labFile.file} has no exercise "${unknown}"`, {
      hint: `choose from ${known.join(', ')}`,
    });
  const exercises = flags.exercises?.length
    ? labFile.data.exercises.filter((e) => flags.exercises!.includes(e.name))
    : labFile.data.exercises;
  const lockFile = lockFileOf(labFile);
  const pinned = existsSync(lockFile) ? await readLock(lockFile) : undefined;
  const limits = flags.maxSizeMib ? { ...BUNDLE_LIMITS, compressedBytes: flags.maxSizeMib << 20 } : BUNDLE_LIMITS;
  const rows: CheckRow[] = [];
  for (const file of flags.bundles) {
    if (flags.signal?.aborted) throw new LabError('INTERRUPTED', 'interrupted');
    const name = path.basename(file);
    let opened;
    try {
      opened = await openBundle(file, limits);
    } catch (err) {
      if (!(err instanceof LabError) || (err.code !== 'BUNDLE_REFUSED' && err.code !== 'BUNDLE_MISSING')) throw err;
      rows.push({ bundle: name, student: '?', exercise: '(bundle)', result: 'refused', evidence: err.message });
      continue;
    }
    const first = rows.length;
    try {
      const { manifest, dir } = opened;
      const student = manifest.student;
      if (manifest.lab !== labFile.data.name) {
        rows.push({
          bundle: name,
          student,
          exercise: '(bundle)',
          result: 'fail',
          evidence: `a bundle of the lab "${manifest.lab}", not "${labFile.data.name}"`,
        });
      }
      const lock = lockEvidence(await readBundleBuilt(dir, name), pinned, manifest.lockDigest);
      rows.push({
        bundle: name,
        student,
        exercise: '(lab.lock)',
        result: lock.pass ? 'pass' : 'fail',
        evidence: lock.evidence,
      });
      const evidence = await Promise.all(manifest.runs.map((id) => readRunEvidence(path.join(dir, 'runs', id))));
      for (const r of judgeExercises(exercises, evidence)) {
        rows.push({
          bundle: name,
          student,
          exercise: r.exercise,
          result: r.pass ? 'pass' : 'fail',
          evidence: r.run ? `${r.run}: ${r.evidence}` : r.evidence,
        });
      }
    } catch (err) {
      if (!refuseBundleRows(rows, first, err, { bundle: name, student: opened.manifest.student })) throw err;
    } finally {
      opened.close();
    }
  }
  return {
    rows,
    passed: rows.every((r) => r.result === 'pass'),
    bundles: flags.bundles.length,
    seconds: (Date.now() - started) / 1000,
  };
}
