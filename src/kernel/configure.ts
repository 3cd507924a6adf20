/**
 * The kernel's configuration, the first half of a kernel build: the request
 * both halves take, and the final .config, made and verified once per set of
 * inputs and kept in the store (configs/), so a warm build knows its kernel key
 * without running make.
 */
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import type { KernelBase } from '../config/profile.js';
import type { MaterializedSource } from '../fetch/source.js';
import type { Store } from '../store/store.js';
import { keyOf, sha256 } from '../util/hash.js';
import { executeChecked } from '../process/runner.js';
import type { Progress } from '../progress/progress.js';
import { inside, kbuildTarget, seenAt, toolchainId, type Places, type Toolchain } from '../toolchain/toolchain.js';
import { archSpec, type Arch } from '../arch/arch.js';
import { configChanges, describeUnmet, mergedRequirements, parseConfig, unmetRequirements } from './config.js';
import { kconfigSymbols, splitUnmet } from './kconfig-symbols.js';
import { readConfigEntry, readConfigInputs, type ConfigEntry } from './config-files.js';
import { configCommands, configKeyInputs } from './plan.js';

export interface KernelRequest {
  source: MaterializedSource;
  base: KernelBase;
  /** Absolute paths of the fragments, in merge order. */
  fragments: string[];
  jobs?: number;
  /** Build and keep the modules too. */
  modules?: boolean;
  /** The host's compiler, or the lab's build root. */
  toolchain: Toolchain;
  /** What the kernel is built for. */
  arch: Arch;
}

export interface ConfigInputs {
  base: { name: string; sha256?: string };
  fragments: Array<{ name: string; sha256: string }>;
}

/** What a config is made from, by name and sha256: what lab.lock pins of it (pure). */
export function configInputsOf(
  base: KernelBase,
  fragments: Array<{ path: string; text: string }>,
  userBase: string | undefined,
): ConfigInputs {
  return {
    base:
      typeof base === 'string' ? { name: base } : { name: path.basename(base.file), sha256: sha256(userBase ?? '') },
    fragments: fragments.map((f) => ({ name: path.basename(f.path), sha256: sha256(f.text) })),
  };
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
  const tc = request.toolchain;
  const compiler = await toolchainId(tc, store);
  const { fragments, userBase } = await readConfigInputs(request.fragments, request.base);
  const configKey = keyOf(
    configKeyInputs({
      sourceId: source.id,
      base: userBase === undefined ? request.base : { file: sha256(userBase) },
      fragmentSha256s: fragments.map((f) => sha256(f.text)),
      compiler,
      arch: request.arch,
    }),
  );
  const inputs = configInputsOf(request.base, fragments, userBase);
  if (store.has('configs', configKey)) {
    const entry = await readConfigEntry(store.entry('configs', configKey));
    return { configKey, ...entry, cached: true, inputs };
  }
  const buildDir = await store.scratch('kbuild');
  // the root sees only what is bound into it: the fragments go to /lab/in
  const inDir = tc.kind === 'root' ? await store.scratch('kconfig-in') : undefined;
  try {
    const stage = options.progress.stage('kernel config');
    if (userBase !== undefined) await writeFile(path.join(buildDir, '.config'), userBase);
    const fragmentPaths: string[] = [];
    for (const [i, f] of fragments.entries()) {
      if (!inDir) {
        fragmentPaths.push(f.path);
        continue;
      }
      const name = `${i}-${path.basename(f.path)}`;
      await writeFile(path.join(inDir, name), f.text);
      fragmentPaths.push(`/lab/in/${name}`);
    }
    const places: Places = {
      '/lab/linux': source.tree,
      '/lab/build': buildDir,
      ...(inDir ? { '/lab/in': inDir } : {}),
    };
    const plan = configCommands(
      seenAt(tc, '/lab/linux', source.tree),
      seenAt(tc, '/lab/build', buildDir),
      request.base,
      fragmentPaths,
      kbuildTarget(tc, request.arch),
    );
    for (const command of plan) {
      const run = inside(tc, command, places, { readOnly: ['/lab/linux', '/lab/in'] });
      await executeChecked(run, { logFile: options.logFile, signal: options.signal });
    }
    const finalText = await readFile(path.join(buildDir, '.config'), 'utf8');
    const finalConfig = parseConfig(finalText);
    const required = mergedRequirements(fragments.map((f) => ({ text: f.text, name: path.basename(f.path) })));
    const allUnmet = unmetRequirements(finalConfig, required);
    const { unmet, notInKernel } = allUnmet.some((u) => u.actual === undefined)
      ? splitUnmet(allUnmet, await kconfigSymbols(source.tree, archSpec(request.arch).kernelArch))
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
  } finally {
    if (inDir) await rm(inDir, { recursive: true, force: true });
  }
}
