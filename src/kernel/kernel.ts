/**
 * The kernel's build, the second half: make under the store entry's lock, on
 * the config configure.ts verified, and the entry (bzImage, vmlinux,
 * System.map, config, the gdb scripts, build.json) copied out of the build
 * directory.
 */
import { existsSync } from 'node:fs';
import {
  copyFile,
  cp,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LabError } from '../errors.js';
import type { Store } from '../store/store.js';
import { keyOf, sha256 } from '../util/hash.js';
import { executeChecked } from '../process/runner.js';
import type { Progress } from '../progress/progress.js';
import { compilerOf, inside, kbuildTarget, seenAt, toolchainId, type Places } from '../toolchain/toolchain.js';
import { archSpec, type Arch } from '../arch/arch.js';
import { kernelVersionFromMakefile } from './config.js';
import { configureKernel, type ConfigInputs, type KernelRequest } from './configure.js';
import {
  buildCommand,
  reproducibleBuildEnv,
  isKbuildStepLine,
  kernelKeyInputs,
  KERNEL_ARTIFACTS,
  kernelTargets,
  SOURCE_PREFIX,
  modulesInstallCommand,
} from './plan.js';

export interface KernelBuild {
  key: string;
  dir: string;
  /** The boot image QEMU's -kernel takes: bzImage on x86_64, Image on arm64. */
  bzImage: string;
  arch: Arch;
  vmlinux: string;
  systemMap: string;
  config: string;
  gdbScript: string;
  version: string;
  sourceId: string;
  sourceOrigin: string;
  configSha256: string;
  compiler: string;
  /** True when the store already had it: no make ran. */
  cached: boolean;
  /** Options the fragments changed in a user-supplied base config. */
  changes: string[];
  /** What the config was made from: the base and each fragment, by name and sha256. */
  inputs: ConfigInputs;
}

/** Points a link, or every link under a directory, that names a file below `from` at that file below `to`. */
async function relinkSource(at: string, from: string, to: string): Promise<void> {
  const st = await lstat(at).catch(() => undefined);
  if (!st) return;
  const links = st.isDirectory()
    ? (await readdir(at, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isSymbolicLink())
        .map((e) => path.join(e.parentPath, e.name))
    : st.isSymbolicLink()
      ? [at]
      : [];
  for (const link of links) {
    const target = await readlink(link);
    if (!target.startsWith(`${from}/`)) continue;
    await rm(link);
    await symlink(path.join(to, target.slice(from.length + 1)), link);
  }
}

/** The build's date: the source tree's Makefile's mtime (from the tarball), never the clock. */
async function sourceTimestamp(tree: string): Promise<string> {
  const { mtime } = await stat(path.join(tree, 'Makefile'));
  return mtime.toUTCString();
}

export async function buildKernel(
  store: Store,
  request: KernelRequest,
  options: { progress: Progress; signal?: AbortSignal; logDir: string },
): Promise<KernelBuild> {
  const { progress, signal } = options;
  const source = request.source;
  await mkdir(options.logDir, { recursive: true });
  const logFile = path.join(options.logDir, 'kernel-build.log');
  const configured = await configureKernel(store, request, { progress, signal, logFile, keepBuildDir: true });
  // bzImage on x86_64, Image on arm64: kept under its own name
  const bootImage = archSpec(request.arch).bootImage.path;
  let scratch = configured.buildDir;
  try {
    const tc = request.toolchain;
    const compiler = await compilerOf(tc, store);
    const configSha256 = sha256(configured.config);
    const key = keyOf(
      kernelKeyInputs({
        sourceId: source.id,
        configSha256,
        compiler: await toolchainId(tc, store),
        modules: request.modules,
        arch: request.arch,
      }),
    );
    const version = kernelVersionFromMakefile(await readFile(path.join(source.tree, 'Makefile'), 'utf8'));
    // the make runs under the entry's lock: a second lab building this kernel waits for the first
    const cached = await store.locked(`kernels/${key}`, async () => {
      if (store.has('kernels', key)) return true;
      if (!scratch) {
        scratch = await store.scratch('kbuild');
        await writeFile(path.join(scratch, '.config'), configured.config);
      }
      const stage = progress.stage(`kernel ${version} build`);
      let steps = 0;
      const targets = [...kernelTargets(request.arch), ...(request.modules ? ['modules'] : [])];
      const kbuild = kbuildTarget(tc, request.arch);
      const places: Places = { '/lab/linux': source.tree, '/lab/build': scratch };
      const tree = seenAt(tc, '/lab/linux', source.tree);
      const build = seenAt(tc, '/lab/build', scratch);
      const env = reproducibleBuildEnv(tree, build, await sourceTimestamp(source.tree));
      await executeChecked(
        inside(tc, buildCommand(tree, build, request.jobs ?? os.availableParallelism(), targets, env, kbuild), places),
        {
          logFile,
          signal,
          onLine: (line) => {
            if (isKbuildStepLine(line)) stage.update({ done: ++steps, unit: 'files' });
          },
        },
      );
      const buildDir = scratch;
      // kbuild links the gdb scripts to the source by the path it saw: /lab/linux in the root
      if (tc.kind === 'root') {
        for (const rel of [KERNEL_ARTIFACTS.gdbScript, KERNEL_ARTIFACTS.gdbScriptsDir]) {
          await relinkSource(path.join(buildDir, rel), SOURCE_PREFIX, source.tree);
        }
      }
      await store.ensure('kernels', key, async (dir) => {
        for (const rel of [bootImage, ...Object.values(KERNEL_ARTIFACTS)]) {
          if (!existsSync(path.join(buildDir, rel))) {
            throw new LabError('BUILD_INCOMPLETE', `the kernel build produced no ${rel}`, { hint: `see ${logFile}` });
          }
        }
        await copyFile(path.join(buildDir, bootImage), path.join(dir, path.basename(bootImage)));
        await copyFile(path.join(buildDir, KERNEL_ARTIFACTS.vmlinux), path.join(dir, 'vmlinux'));
        await copyFile(path.join(buildDir, KERNEL_ARTIFACTS.systemMap), path.join(dir, 'System.map'));
        await copyFile(path.join(buildDir, KERNEL_ARTIFACTS.config), path.join(dir, 'config'));
        // vmlinux-gdb.py and scripts/gdb are symlinks into the source: keep real copies
        await cp(path.join(buildDir, KERNEL_ARTIFACTS.gdbScript), path.join(dir, 'vmlinux-gdb.py'), {
          dereference: true,
        });
        await cp(path.join(buildDir, KERNEL_ARTIFACTS.gdbScriptsDir), path.join(dir, 'scripts', 'gdb'), {
          recursive: true,
          dereference: true,
          filter: (src) => !src.endsWith('.o') && !src.endsWith('.cmd') && !src.includes('__pycache__'),
        });
        if (request.modules) {
          const install = modulesInstallCommand(tree, build, seenAt(tc, '/lab/out', dir), kbuild);
          await executeChecked(inside(tc, install, { ...places, '/lab/out': dir }), { logFile, signal });
        }
        await writeFile(
          path.join(dir, 'build.json'),
          JSON.stringify(
            // no origin: where this machine got the source is no fact of the kernel, which is
            // the same bytes on every machine (a class cache serves it whole)
            { version, source: source.id, configSha256, compiler, changes: configured.changes },
            null,
            2,
          ),
        );
      });
      stage.done(`${steps} files compiled`);
      return false;
    });
    const dir = store.entry('kernels', key);
    return {
      key,
      dir,
      bzImage: path.join(dir, path.basename(bootImage)),
      arch: request.arch,
      vmlinux: path.join(dir, 'vmlinux'),
      systemMap: path.join(dir, 'System.map'),
      config: path.join(dir, 'config'),
      gdbScript: path.join(dir, 'vmlinux-gdb.py'),
      version,
      sourceId: source.id,
      sourceOrigin: source.origin,
      configSha256,
      compiler,
      cached,
      changes: configured.changes,
      inputs: configured.inputs,
    };
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

/** A file of a stored kernel, by its key: what lab compare reads of the kernels two runs ran. */
export function storedKernelFile(store: Store, key: string, file: 'System.map' | 'vmlinux'): string {
  return path.join(store.entry('kernels', key), file);
}
