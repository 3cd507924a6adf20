import type { Argv } from 'yargs';
import { invoke } from '../invoke.js';
import { renderDoctor } from '../render.js';

export function registerDoctor<T>(y: Argv<T>) {
  return y.command(
    'doctor',
    'list what is missing on this machine, with the apt-get line that installs it',
    (b) =>
      b
        .option('profile', {
          type: 'string',
          describe: 'the profile to check (default: debian, what works here offline)',
        })
        .option('qemu-build', { type: 'boolean', describe: 'include what building QEMU from source needs' })
        .option('qemu', { type: 'string', describe: '"system", "build" or a path' })
        .option('all', { type: 'boolean', describe: 'every program any command can run, for every profile' }),
    (a) =>
      invoke(a, async (cli) => {
        const report = await (await import('../../lab/doctor.js')).diagnoseHost(a);
        cli.out(
          cli.json
            ? JSON.stringify(
                {
                  scope: report.scope,
                  purposes: report.purposes,
                  missing: report.missing.map((r) => r.check),
                  install: report.install ?? null,
                },
                null,
                2,
              )
            : renderDoctor(report),
        );
        return report.missing.length ? 1 : 0;
      }),
  );
}
