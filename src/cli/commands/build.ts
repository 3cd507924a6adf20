import type { Argv } from 'yargs';
import type { BuildFlags } from '../../lab/build.js';
import { invoke } from '../invoke.js';
import { buildOptions } from '../options.js';
import { renderBuild, renderConfigure } from '../render.js';

export function registerBuild<T>(y: Argv<T>) {
  return y.command(
    'build',
    'fetch, verify and build the kernel and the rootfs (cached)',
    (b) =>
      buildOptions(b).option('configure-only', {
        type: 'boolean',
        describe: 'stop once the kernel config is final and verified',
      }),
    (a) =>
      invoke(a, async (cli) => {
        const flags = a as unknown as BuildFlags;
        if (flags.configureOnly) {
          const configured = await (await import('../../lab/build.js')).configureLab(cli.lab, flags);
          cli.out(cli.json ? JSON.stringify(configured, null, 2) : renderConfigure(configured));
          return;
        }
        const record = await (await import('../../lab/build.js')).buildLab(cli.lab, flags);
        cli.out(cli.json ? JSON.stringify(record, null, 2) : renderBuild(record));
      }),
  );
}
