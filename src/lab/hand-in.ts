/** lab check: the teacher's side of a hand-in (lab pack, the student's side, is pack.ts). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { openBundle, type OpenedBundle } from '../bundle/bundle.js';
import { readBundleBuilt, refuseBundleRows } from '../bundle/built.js';
import { bundleLimits } from '../bundle/entries.js';
import { judgeRunDirs } from '../bundle/judge-runs.js';
import { KernelWitness } from '../bundle/kernel-witness.js';
import { bundlePrint, sharedRuns, type BundlePrint } from '../bundle/shared-runs.js';
import { coreEvidence } from '../bundle/core-check.js';
import { chooseProfile } from '../config/lab-file.js';
import type { LabPaths } from '../config/paths.js';
import { InterruptedError, LabError } from '../errors.js';
import { lockDigest } from '../lock/lock.js';
import { elfBuildIdOfFile } from '../util/elf.js';
import { classKernel } from './class-kernel.js';
import { lockFileOf, readLock } from './lock.js';

export interface CheckFlags {
  bundles: string[];
  lab?: string;
  maxSizeMib?: number;
  /** Check only these exercises (this week's), by name. */
  exercises?: string[];
  /** The class's vmlinux, when this lab has not built it. */
  vmlinux?: string;
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
  if (digest !== lockDigest(pinned)) return { pass: false, evidence: `${lockNote}: the bundle is not this class's` };
  return {
    pass: true,
    evidence: `kernel source, .config, compiler, bzImage and vmlinux as lab.lock pins (${lockNote})`,
  };
}

/** lab check: each bundle's structure, its build against lab.lock, and every exercise of lab.json. */
export async function checkBundles(
  paths: LabPaths,
  flags: CheckFlags,
): Promise<{ rows: CheckRow[]; kernel: string; passed: boolean; bundles: number; seconds: number }> {
  const started = Date.now();
  const limits = bundleLimits(flags.maxSizeMib);
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
  const kernel = await classKernel(paths, flags.vmlinux, pinned);
  const witness = kernel.vmlinux ? await KernelWitness.open(kernel.vmlinux, flags.signal) : undefined;
  const classBuildId = kernel.vmlinux ? await elfBuildIdOfFile(kernel.vmlinux) : undefined;
  const prints: BundlePrint[] = [];
  const rows: CheckRow[] = [];
  try {
    for (const file of flags.bundles) {
      if (flags.signal?.aborted) throw new InterruptedError('lab check');
      const name = path.basename(file);
      const first = rows.length;
      let opened: OpenedBundle | undefined;
      try {
        opened = await openBundle(file, limits, flags.signal);
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
        const runDirs = manifest.runs.map((id) => path.join(dir, 'runs', id));
        for (const runDir of runDirs) {
          const core = await coreEvidence(runDir, classBuildId);
          const result = core?.pass ? 'pass' : 'fail';
          if (core) rows.push({ bundle: name, student, exercise: '(vmcore)', result, evidence: core.evidence });
        }
        const judged = await judgeRunDirs(exercises, runDirs, {
          witness,
          unverified: kernel.vmlinux ? undefined : kernel.note,
          signal: flags.signal,
        });
        prints.push(bundlePrint(name, student, manifest.runs, manifest.files));
        for (const r of judged) {
          rows.push({
            bundle: name,
            student,
            exercise: r.exercise,
            result: r.pass ? 'pass' : 'fail',
            evidence: r.run ? `${r.run}: ${r.evidence}` : r.evidence,
          });
        }
      } catch (err) {
        // only an interrupt ends the batch: anything else is this bundle's one refused row
        if (flags.signal?.aborted || (err instanceof LabError && err.code === 'INTERRUPTED'))
          throw new InterruptedError('lab check');
        refuseBundleRows(rows, first, err, {
          bundle: name,
          student: opened?.manifest.student ?? '?',
          dir: opened?.dir,
        });
      } finally {
        opened?.close();
      }
    }
  } finally {
    await witness?.close();
  }
  for (const [bundle, why] of sharedRuns(prints)) {
    const at = rows.map((r) => r.bundle).lastIndexOf(bundle);
    const student = rows[at]!.student;
    rows.splice(at + 1, 0, { bundle, student, exercise: '(own work)', result: 'fail', evidence: why });
  }
  return {
    rows,
    kernel: kernel.note,
    passed: rows.every((r) => r.result === 'pass'),
    bundles: flags.bundles.length,
    seconds: (Date.now() - started) / 1000,
  };
}
