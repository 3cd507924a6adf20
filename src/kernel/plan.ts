import path from 'node:path';
import type { KernelBase } from '../config/profile.js';
import type { Command } from '../process/command.js';
import { archSpec, type Arch, type BuildTarget } from '../arch/arch.js';

/** The architecture a key names when its inputs name none: every key made before arm64 was one. */
export const KERNEL_ARCH = 'x86_64';

export const NATIVE_X86_64: BuildTarget = { arch: 'x86_64' };

/** What a kernel's final .config depends on: the store key of the config entry (pure). */
export function configKeyInputs(i: {
  sourceId: string;
  base: KernelBase | { file: string };
  fragmentSha256s: string[];
  compiler: string;
  arch?: string;
}) {
  return {
    source: i.sourceId,
    base: i.base,
    fragments: i.fragmentSha256s,
    compiler: i.compiler,
    arch: i.arch ?? KERNEL_ARCH,
  };
}

/**
 * How lab builds a kernel reproducibly; part of the kernel key, so a change
 * to the environment below never reuses a kernel built the old way.
 */
export const REPRODUCIBLE_RECIPE = 'reproducible-1';

/** What a built kernel depends on: the store key of the kernel entry (pure). */
export function kernelKeyInputs(i: {
  sourceId: string;
  configSha256: string;
  compiler: string;
  modules?: boolean;
  arch?: string;
}) {
  return {
    source: i.sourceId,
    config: i.configSha256,
    patches: [],
    compiler: i.compiler,
    arch: i.arch ?? KERNEL_ARCH,
    modules: i.modules === true ? true : undefined,
    recipe: REPRODUCIBLE_RECIPE,
  };
}

/**
 * Where the debug info says the sources and the build directory are. The
 * real paths (the store's, a scratch directory's) differ from machine to
 * machine; gdb maps SOURCE_PREFIX back to the tree with substitute-path.
 */
export const SOURCE_PREFIX = '/lab/linux';
export const BUILD_PREFIX = '/lab/build';

/**
 * The environment that makes a kernel build byte-for-byte reproducible
 * (reproducible-builds.org; Debian's kernel packages do the same): the
 * banner's user, host, time and build number are fixed, and no path of
 * this machine reaches the debug info. `timestamp` comes from the source,
 * so it is an input, not the clock.
 */
export function reproducibleBuildEnv(tree: string, buildDir: string, timestamp: string): Record<string, string> {
  const maps = [`-ffile-prefix-map=${tree}=${SOURCE_PREFIX}`, `-ffile-prefix-map=${buildDir}=${BUILD_PREFIX}`].join(
    ' ',
  );
  return {
    KBUILD_BUILD_TIMESTAMP: timestamp,
    KBUILD_BUILD_USER: 'lab',
    KBUILD_BUILD_HOST: 'lab',
    KBUILD_BUILD_VERSION: '1',
    KCFLAGS: maps,
    KAFLAGS: maps,
    LC_ALL: 'C',
    TZ: 'UTC',
  };
}
/** The make targets of a kernel build: the boot image, vmlinux for gdb, and the kernel's gdb helpers. */
export function kernelTargets(arch: Arch): string[] {
  return [archSpec(arch).bootImage.target, 'vmlinux', 'scripts_gdb'];
}

function make(tree: string, buildDir: string, target: BuildTarget, ...rest: string[]): string[] {
  const cross = target.crossCompile ? [`CROSS_COMPILE=${target.crossCompile}`] : [];
  return ['-C', tree, `O=${buildDir}`, `ARCH=${archSpec(target.arch).makeArch}`, ...cross, ...rest];
}

/**
 * The commands that produce buildDir/.config: the base (a make target, or the
 * user's file copied in beforehand), the fragments merged by the kernel's own
 * merge_config.sh, then olddefconfig to settle dependencies.
 */
export function configCommands(
  tree: string,
  buildDir: string,
  base: KernelBase,
  fragments: string[],
  target: BuildTarget = NATIVE_X86_64,
): Command[] {
  const commands: Command[] = [];
  const config = path.join(buildDir, '.config');
  if (typeof base === 'string') {
    commands.push({ program: 'make', args: make(tree, buildDir, target, base), what: `make ${base}` });
  }
  commands.push({
    program: { path: path.join(tree, 'scripts', 'kconfig', 'merge_config.sh') },
    args: ['-m', '-O', buildDir, config, ...fragments],
    // it makes its temporary files in its working directory: never the source
    cwd: buildDir,
    what: 'merge_config.sh',
  });
  commands.push({ program: 'make', args: make(tree, buildDir, target, 'olddefconfig'), what: 'make olddefconfig' });
  return commands;
}

export function buildCommand(
  tree: string,
  buildDir: string,
  jobs: number,
  targets: readonly string[] = kernelTargets('x86_64'),
  env?: Record<string, string>,
  target: BuildTarget = NATIVE_X86_64,
): Command {
  return {
    program: 'make',
    args: make(tree, buildDir, target, `-j${jobs}`, ...targets),
    ...(env ? { env } : {}),
    what: `make ${targets.join(' ')}`,
  };
}

export function modulesInstallCommand(
  tree: string,
  buildDir: string,
  installDir: string,
  target: BuildTarget = NATIVE_X86_64,
): Command {
  return {
    program: 'make',
    args: make(tree, buildDir, target, `INSTALL_MOD_PATH=${installDir}`, 'modules_install'),
    what: 'make modules_install',
  };
}

/** What is kept of a build, relative to the build directory (the boot image is the arch's: archSpec().bootImage). */
export const KERNEL_ARTIFACTS = {
  vmlinux: 'vmlinux',
  systemMap: 'System.map',
  config: '.config',
  gdbScript: 'vmlinux-gdb.py',
  gdbScriptsDir: 'scripts/gdb',
} as const;

/** Lines of kbuild output that mean one more file was built ("  CC      mm/compaction.o"). */
export function isKbuildStepLine(line: string): boolean {
  return /^ {2}[A-Z][A-Z0-9_]* {1,8}\S/.test(line);
}
