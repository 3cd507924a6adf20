import { existsSync } from 'node:fs';
import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tmp from 'tmp';
import {
  BUNDLE_MANIFEST,
  BUNDLE_VERSION,
  fileHashes,
  packProblem,
  PLAIN_NAME,
  PLAIN_NAME_MAX,
  regularFiles,
  writeBundle,
  type BundleManifest,
} from '../bundle/bundle.js';
import { isRunDir, runDirs } from '../bundle/evidence.js';
import { chooseProfile } from '../config/lab-file.js';
import { LabError } from '../errors.js';
import { lockDigest } from '../lock/lock.js';
import { RUN_FILES } from '../record/files.js';
import { sha256File } from '../util/hash.js';
import { readBuildRecord } from './build-record.js';
import type { LabContext } from './context.js';
import { recordedConfigDiff } from './lab-config.js';
import { lockFileOf, readLock } from './lock.js';

/** A kernel file build.json names: what is wrong with it is the build record's. */
const builtFile = { code: 'BUILD_RECORD_CORRUPT', links: 'follow' } as const;

export interface PackFlags {
  runs?: string[];
  out?: string;
  student?: string;
  lab?: string;
  /** Hand in the dump runs' cores too (lab dump): large, so only when asked. */
  withCore?: boolean;
}

/** What a bundle never carries, whatever a run directory holds. */
function isPrivate(file: string): boolean {
  const base = path.basename(file);
  return /^id_/.test(base) || /\.(ext4|qcow2|cpio|img|key|pem)$/.test(base);
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
  /** Options that differ from the lab's config; null when the build recorded no config of the lab's. */
  configChanges: number | null;
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
    : all.filter(isRunDir);
  if (chosen.length === 0) throw new LabError('NO_RUNS', `there are no runs in ${ctx.paths.runs}`);
  const student = flags.student ?? process.env.USER ?? os.userInfo().username;
  if (!PLAIN_NAME.test(student) || student.length > PLAIN_NAME_MAX)
    throw new LabError('BAD_OPTION', `--student "${student}" is not a plain name`, {
      hint: `letters, digits, ".", "_" and "-", at most ${PLAIN_NAME_MAX}`,
    });
  const labName = labFile?.data.name ?? build.profile;
  if (labName.length > PLAIN_NAME_MAX)
    throw new LabError('LAB_FILE_INVALID', `the lab name "${labName}" is over ${PLAIN_NAME_MAX} characters`, {
      hint: 'lab check refuses a bundle of a longer name: shorten "name" in lab.json',
    });
  const lockFile = labFile ? lockFileOf(labFile) : undefined;
  const pinned = lockFile && existsSync(lockFile) ? await readLock(lockFile) : undefined;
  const digest = pinned ? lockDigest(pinned) : null;
  // the lab's config as the build recorded it: packing never configures or builds a kernel
  const changes = labFile ? await recordedConfigDiff(build, labFile, pinned) : [];

  const staged = tmp.dirSync({ prefix: 'lab-pack-', unsafeCleanup: true });
  try {
    const files: string[] = [];
    for (const dir of chosen) {
      for (const rel of await regularFiles(dir)) {
        if (isPrivate(rel) || (rel === RUN_FILES.core && !flags.withCore)) continue;
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
      bzImage: await sha256File(build.kernel.bzImage, builtFile),
      vmlinux: await sha256File(build.kernel.vmlinux, builtFile),
    };
    await writeFile(path.join(staged.name, 'build.json'), JSON.stringify({ ...build, built }, null, 2) + '\n');
    files.push('build.json');
    if (changes) {
      await writeFile(path.join(staged.name, 'config.diff'), changes.map((c) => `${c}\n`).join(''));
      files.push('config.diff');
    }
    const sizes = new Map<string, number>();
    for (const f of files) sizes.set(f, (await stat(path.join(staged.name, f))).size);
    const runIds = chosen.map((d) => path.basename(d));
    const problem = packProblem(runIds, sizes);
    if (problem)
      throw new LabError('BAD_OPTION', `lab check would refuse this bundle: ${problem}`, {
        hint: 'name the runs to hand in: lab pack RUN...',
      });
    const manifest: BundleManifest = {
      bundleVersion: BUNDLE_VERSION,
      lab: labName,
      student,
      createdAt: new Date().toISOString(),
      lockDigest: digest,
      runs: runIds,
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
      configChanges: changes ? changes.length : null,
      lockDigest: digest,
    };
  } finally {
    staged.removeCallback();
  }
}
