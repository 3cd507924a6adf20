import { parseArch } from '../../arch/arch.js';
import type { BuildFlags } from '../../lab/build.js';
import { defineCommand, type ArgsOf } from '../command.js';
import { buildOptions, type GlobalArgs } from '../options.js';
import { renderBuild, renderConfigure } from '../render.js';

/** The kernel, rootfs and QEMU flags of lab build and lab demo, from their argv (pure). */
export function buildFlagsOf(a: ArgsOf<typeof buildOptions<GlobalArgs>>): BuildFlags {
  return {
    profile: a.profile,
    lab: a.lab,
    kernelSource: a.kernelSource,
    kernelSha256: a.kernelSha256,
    config: a.config,
    base: a.base,
    fragments: a.fragment,
    rootfs: a.rootfs,
    modules: a.modules,
    qemu: a.qemu,
    qemuBuild: a.qemuBuild,
    toolchain: a.toolchain,
    cache: a.cache,
    ...(a.arch === undefined ? {} : { arch: parseArch(a.arch) }),
  };
}

export const buildCommand = defineCommand({
  command: 'build',
  describe: 'fetch, verify and build the kernel and the rootfs (cached)',
  options: (y) =>
    buildOptions(y).option('configure-only', {
      type: 'boolean',
      describe: 'stop once the kernel config is final and verified',
    }),
  request: (a): BuildFlags => ({ ...buildFlagsOf(a), configureOnly: a.configureOnly }),
  run: async (cli, flags) => {
    const build = await import('../../lab/build.js');
    if (flags.configureOnly) {
      const configured = await build.configureLab(cli.lab, flags);
      cli.out(cli.json ? JSON.stringify(configured, null, 2) : renderConfigure(configured));
      return;
    }
    const record = await build.buildLab(cli.lab, flags);
    cli.out(cli.json ? JSON.stringify(record, null, 2) : renderBuild(record));
  },
});
