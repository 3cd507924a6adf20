import { existsSync } from 'node:fs';
import { appendFile, copyFile, cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LabError } from '../errors.js';
import type { KernelBase } from '../config/profile.js';
import type { MaterializedSource } from '../fetch/source.js';
import type { Store } from '../store/store.js';
import { keyOf, sha256 } from '../util/hash.js';
import { executeChecked } from '../process/runner.js';
import type { Progress } from '../progress/progress.js';
import { compilerVersion } from '../toolchain/compiler.js';
import {
  configChanges,
  describeUnmet,
  fragmentRequirements,
  kernelVersionFromMakefile,
  parseConfig,
  unmetRequirements,
} from './config.js';
import { kconfigSymbols, splitUnmet } from './kconfig-symbols.js';
import {
  buildCommand,
  configCommands,
  reproducibleBuildEnv,
  configKeyInputs,
  isKbuildStepLine,
  kernelKeyInputs,
  KERNEL_ARTIFACTS,
  KERNEL_TARGETS,
  modulesInstallCommand,
} from './plan.js';

export interface KernelRequest {
  source: MaterializedSource;
  base: KernelBase;
  /** Absolute paths of the fragments, in merge order. */
  fragments: string[];
  jobs?: number;
  /** Build and keep the modules too. */
  modules?: boolean;
}

export interface KernelBuild {
  key: string;
  dir: string;
  bzImage: string;
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

export interface ConfigInputs {
  base: { name: string; sha256?: string };
  fragments: Array<{ name: string; sha256: string }>;
}

interface ConfigEntry {
  config: string;
  changes: string[];
  /** Options a fragment names that this kernel's Kconfig does not define. */
  notInKernel?: string[];
}

export interface ConfiguredKernel {
  configKey: string;
  config: string;
  changes: string[];
  notInKernel?: string[];
  /** A build directory holding exactly this config, when configuring just made one. */
  buildDir?: string;
  cached: boolean;
  inputs: ConfigInputs;
}

/**
 * The final .config: the base, the fragments merged by merge_config.sh, then
 * olddefconfig, checked option by option against the fragments. Cached under a
 * key of its inputs, so a warm build knows its kernel key without running make.
 */
export async function configureKernel(
  store: Store,
  request: KernelRequest,
  options: { progress: Progress; signal?: AbortSignal; logFile: string; keepBuildDir?: boolean },
): Promise<ConfiguredKernel> {
  const source = request.source;
  const compiler = await compilerVersion(store);
  const fragments = await Promise.all(
    request.fragments.map(async (f) => ({ path: f, text: await readFile(f, 'utf8') })),
  );
  const userBase = typeof request.base === 'string' ? undefined : await readFile(request.base.file, 'utf8');
  const configKey = keyOf(
    configKeyInputs({
      sourceId: source.id,
      base: userBase === undefined ? request.base : { file: sha256(userBase) },
      fragmentSha256s: fragments.map((f) => sha256(f.text)),
      compiler,
    }),
  );
  const inputs: ConfigInputs = {
    base:
      userBase === undefined
        ? { name: request.base as string }
        : { name: path.basename((request.base as { file: string }).file), sha256: sha256(userBase) },
    fragments: fragments.map((f) => ({ name: path.basename(f.path), sha256: sha256(f.text) })),
  };
  if (store.has('configs', configKey)) {
    const entry = JSON.parse(
      await readFile(path.join(store.entry('configs', configKey), 'entry.json'), 'utf8'),
    ) as ConfigEntry;
    return { configKey, ...entry, cached: true, inputs };
  }
  const buildDir = await store.scratch('kbuild');
  try {
    const stage = options.progress.stage('kernel config');
    if (userBase !== undefined) await writeFile(path.join(buildDir, '.config'), userBase);
    for (const command of configCommands(
      source.tree,
      buildDir,
      request.base,
      fragments.map((f) => f.path),
    )) {
      await executeChecked(command, { logFile: options.logFile, signal: options.signal });
    }
    const finalText = await readFile(path.join(buildDir, '.config'), 'utf8');
    const finalConfig = parseConfig(finalText);
    const allUnmet = fragments.flatMap((f) =>
      unmetRequirements(finalConfig, fragmentRequirements(f.text, path.basename(f.path))),
    );
    const { unmet, notInKernel } = allUnmet.some((u) => u.actual === undefined)
      ? splitUnmet(allUnmet, await kconfigSymbols(source.tree))
      : { unmet: allUnmet, notInKernel: [] };
    if (notInKernel.length)
      await appendFile(
        options.logFile,
        `\noptions the fragments name that this kernel does not have: ${notInKernel.join(', ')}\n`,
      );
    if (unmet.length > 0) {
      throw new LabError(
        'CONFIG_UNMET',
        `${unmet.length} option(s) the lab needs did not take effect: ${unmet.map(describeUnmet).join('; ')}`,
        { hint: 'enable what they depend on in your config or fragment' },
      );
    }
    const changes = userBase === undefined ? [] : configChanges(parseConfig(userBase), finalConfig);
    if (changes.length) {
      await appendFile(
        options.logFile,
        `\nlab changed ${changes.length} option(s) of ` +
          `${path.basename((request.base as { file: string }).file)}:\n${changes.map((c) => `  ${c}`).join('\n')}\n`,
      );
    }
    const entry: ConfigEntry = { config: finalText, changes, notInKernel };
    await store.ensure('configs', configKey, async (dir) => {
      await writeFile(path.join(dir, 'entry.json'), JSON.stringify(entry));
      await writeFile(path.join(dir, 'config'), finalText);
    });
    stage.done(`${fragments.length} fragment(s) merged, every required option verified`);
    if (options.keepBuildDir) return { configKey, ...entry, buildDir, cached: false, inputs };
    await rm(buildDir, { recursive: true, force: true });
    return { configKey, ...entry, cached: false, inputs };
  } catch (err) {
    await rm(buildDir, { recursive: true, force: true });
    throw err;
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
  let scratch = configured.buildDir;
  try {
    const compiler = await compilerVersion(store);
    const configSha256 = sha256(configured.config);
    const key = keyOf(kernelKeyInputs({ sourceId: source.id, configSha256, compiler, modules: request.modules }));
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
      const targets = request.modules ? [...KERNEL_TARGETS, 'modules'] : KERNEL_TARGETS;
      const env = reproducibleBuildEnv(source.tree, scratch, await sourceTimestamp(source.tree));
      await executeChecked(
        buildCommand(source.tree, scratch, request.jobs ?? os.availableParallelism(), targets, env),
        {
          logFile,
          signal,
          onLine: (line) => {
            if (isKbuildStepLine(line)) stage.update({ done: ++steps, unit: 'files' });
          },
        },
      );
      const buildDir = scratch;
      await store.ensure('kernels', key, async (dir) => {
        for (const rel of Object.values(KERNEL_ARTIFACTS)) {
          if (!existsSync(path.join(buildDir, rel))) {
            throw new LabError('BUILD_INCOMPLETE', `the kernel build produced no ${rel}`, { hint: `see ${logFile}` });
          }
        }
        await copyFile(path.join(buildDir, KERNEL_ARTIFACTS.bzImage), path.join(dir, 'bzImage'));
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
          await executeChecked(modulesInstallCommand(source.tree, buildDir, dir), { logFile, signal });
        }
        await writeFile(
          path.join(dir, 'build.json'),
          JSON.stringify(
            { version, source: source.id, origin: source.origin, configSha256, compiler, changes: configured.changes },
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
      bzImage: path.join(dir, 'bzImage'),
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
