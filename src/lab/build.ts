import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import type { Profile } from '../config/profile.js';
import type { Progress } from '../progress/progress.js';
import { buildRootfs } from '../image/rootfs.js';
import type { Store } from '../store/store.js';
import { qemuVersion, resolveQemu } from '../qemu/binary.js';
import { configureKernel } from '../kernel/configure.js';
import { buildKernel } from '../kernel/kernel.js';
import { buildQemu, type QemuInstall } from '../qemu/source-build.js';
import type { LabContext } from './context.js';
import { writeBuildRecord, type BuildRecord } from './build-record.js';
import { resolveBuildInputs, type BuildFlags } from './build-inputs.js';
import { labConfigOf } from './lab-config.js';
import { toolchainPin } from '../toolchain/toolchain.js';
import type { ToolchainPin } from '../lock/lock.js';
import type { Rootfs } from '../image/rootfs.js';
import { fetchPinnedLab } from './fetch-lab.js';
import { archSpec, type Arch } from '../arch/arch.js';

export { pathKind, type BuildFlags } from './build-inputs.js';

/** lab build: the kernel, the rootfs and QEMU, from inputs resolved once; recorded in .lab/build.json. */
export async function buildLab(ctx: LabContext, flags: BuildFlags): Promise<BuildRecord> {
  return (await buildLabWith(ctx, flags)).record;
}

/** A built lab, and what lab lock needs of it beyond the record. */
export interface BuiltLab {
  record: BuildRecord;
  /** What compiled it: the toolchain that ran, or, for a fetched lab, what lab.lock says compiled it. */
  toolchain: ToolchainPin;
  /** The initramfs lab demo boots, which lab lock pins beside a Debian image. */
  initramfs: () => Promise<Rootfs>;
}

/** lab build, and what lab lock needs beside the record. */
export async function buildLabWith(ctx: LabContext, flags: BuildFlags): Promise<BuiltLab> {
  const started = Date.now();
  await ctx.store.sweep();
  const fetched = await fetchPinnedLab(ctx, flags);
  if (fetched) {
    const arch = fetched.kernel.arch;
    const qemu = await resolveQemuInstall(ctx.store, fetched.labFile.profile, flags, arch, {
      progress: ctx.progress,
      signal: ctx.signal,
      logDir: path.join(ctx.paths.root, 'logs'),
    });
    const record: BuildRecord = {
      profile: fetched.labFile.profile.name,
      kernel: fetched.kernel,
      rootfs: fetched.rootfs,
      qemu,
      labConfig: {
        lab: fetched.labFile.file,
        config: fetched.kernel.config,
        configSha256: fetched.kernel.configSha256,
      },
      fetched: fetched.fetched,
      builtAt: new Date().toISOString(),
      seconds: (Date.now() - started) / 1000,
    };
    await writeBuildRecord(ctx.paths, record);
    return { record, toolchain: fetched.lock.inputs.toolchain ?? { kind: 'host' }, initramfs: fetched.initramfs };
  }
  return buildFromSource(ctx, flags, started);
}

async function buildFromSource(ctx: LabContext, flags: BuildFlags, started: number): Promise<BuiltLab> {
  const { store, paths, progress, signal } = ctx;
  const inputs = await resolveBuildInputs(ctx, flags);
  const { profile, selection, source } = inputs;
  const logDir = path.join(paths.root, 'logs');
  const kernel = await buildKernel(
    store,
    {
      source,
      base: selection.base,
      fragments: selection.fragments,
      modules: flags.modules,
      toolchain: inputs.toolchain,
      arch: selection.arch,
    },
    { progress, signal, logDir },
  );
  const labConfig = await labConfigOf(ctx, inputs, kernel, path.join(logDir, 'kernel-build.log'));
  const rootfs = await buildRootfs(store, inputs.rootfs, {
    progress,
    signal,
    logDir,
    packages: profile.guestPackages,
    toolchain: inputs.toolchain,
    arch: selection.arch,
    kernel: kernel.bzImage,
  });
  const qemu = await resolveQemuInstall(store, profile, flags, selection.arch, { progress, signal, logDir });
  const record: BuildRecord = {
    profile: profile.name,
    fellBackFrom: inputs.fellBackFrom,
    fallbackReason: inputs.fallbackReason,
    kernel,
    rootfs,
    qemu,
    labConfig,
    builtAt: new Date().toISOString(),
    seconds: (Date.now() - started) / 1000,
  };
  await writeBuildRecord(paths, record);
  const initramfs = async () =>
    rootfs.kind === 'initramfs'
      ? rootfs
      : buildRootfs(store, 'initramfs', {
          progress,
          signal,
          logDir,
          toolchain: inputs.toolchain,
          arch: selection.arch,
        });
  return { record, toolchain: toolchainPin(inputs.toolchain), initramfs };
}

export interface ConfigureRecord {
  profile: string;
  fellBackFrom?: string;
  configKey: string;
  config: string;
  cached: boolean;
  fragments: string[];
  /** Each option lab changed in the user's config, "NAME: old -> new". */
  changes: string[];
  /** Options a fragment names that this kernel does not define (skipped, not failed). */
  notInKernel: string[];
  logFile: string;
}

/**
 * lab build --configure-only: the kernel's final, verified config and what lab changed, no make of the kernel itself.
 */
export async function configureLab(ctx: LabContext, flags: BuildFlags): Promise<ConfigureRecord> {
  const { store, paths } = ctx;
  const options = { progress: ctx.progress, signal: ctx.signal };
  const { profile, selection, source, fellBackFrom, toolchain } = await resolveBuildInputs(ctx, flags);
  const logDir = path.join(paths.root, 'logs');
  await mkdir(logDir, { recursive: true });
  const logFile = path.join(logDir, 'kernel-build.log');
  const configured = await configureKernel(
    store,
    { source, base: selection.base, fragments: selection.fragments, toolchain, arch: selection.arch },
    { ...options, logFile },
  );
  return {
    profile: profile.name,
    fellBackFrom,
    configKey: configured.configKey,
    config: path.join(store.entry('configs', configured.configKey), 'config'),
    cached: configured.cached,
    fragments: selection.fragments.map((f) => path.basename(f)),
    changes: configured.changes,
    notInKernel: configured.notInKernel ?? [],
    logFile,
  };
}

/** Which QEMU: --qemu system|build|PATH, --qemu-build, else what the profile says. */
export function qemuChoice(
  profile: Profile,
  flags: Pick<BuildFlags, 'qemu' | 'qemuBuild'>,
): 'system' | 'build' | { path: string } {
  if (flags.qemu === 'system' || flags.qemu === 'build') return flags.qemu;
  if (flags.qemu) return { path: flags.qemu };
  if (flags.qemuBuild) return 'build';
  return profile.qemu.use;
}

async function resolveQemuInstall(
  store: Store,
  profile: Profile,
  flags: BuildFlags,
  arch: Arch,
  options: { progress: Progress; signal?: AbortSignal; logDir: string },
): Promise<QemuInstall> {
  const choice = qemuChoice(profile, flags);
  if (choice === 'build' && arch !== 'x86_64') {
    throw new LabError('NO_QEMU_SOURCE', `lab builds QEMU's x86_64 system emulator only, not ${arch}'s`, {
      hint: `use --qemu system (Debian's ${archSpec(arch).qemu.package})`,
    });
  }
  if (choice === 'build') {
    if (!profile.qemu.source || !profile.qemu.recipe) {
      throw new LabError('NO_QEMU_SOURCE', `the ${profile.name} profile names no QEMU source to build`, {
        hint: 'use --qemu system or a path',
      });
    }
    return buildQemu(store, { source: profile.qemu.source, recipe: profile.qemu.recipe }, options);
  }
  const binary = resolveQemu(choice === 'system' ? 'system' : choice.path, arch);
  return { binary, version: await qemuVersion(binary, store), firmwareDirs: [] };
}
