import type { DoctorFlags } from '../../lab/doctor.js';
import { defineCommand } from '../command.js';
import { renderDoctor } from '../render.js';

export const doctorCommand = defineCommand({
  command: 'doctor',
  describe: 'list what is missing on this machine, with the apt-get line that installs it',
  options: (y) =>
    y
      .option('profile', {
        type: 'string',
        describe: 'the profile to check (default: debian, what works here offline)',
      })
      .option('qemu-build', { type: 'boolean', describe: 'include what building QEMU from source needs' })
      .option('qemu', { type: 'string', describe: '"system", "build" or a path' })
      .option('all', { type: 'boolean', describe: 'every program any command can run, for every profile' }),
  request: (a): DoctorFlags => ({ profile: a.profile, lab: a.lab, qemuBuild: a.qemuBuild, qemu: a.qemu, all: a.all }),
  run: async (cli, flags) => {
    const report = await (await import('../../lab/doctor.js')).diagnoseHost(flags);
    const missing = report.missing.map((r) => r.check);
    const summary = { scope: report.scope, purposes: report.purposes, missing, install: report.install ?? null };
    cli.out(cli.json ? JSON.stringify(summary, null, 2) : renderDoctor(report));
    return report.missing.length ? 1 : 0;
  },
});
