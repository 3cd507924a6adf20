import { loadProfile } from '../config/profile.js';
import { checksFor, installLine, purposesFor, runChecks, type CheckResult, type Probe } from '../doctor/checks.js';
import { loadHostPackages, PURPOSES } from '../doctor/host-packages.js';
import { systemProbe } from '../doctor/probe.js';
import { qemuChoice } from './build.js';

export interface DoctorFlags {
  profile?: string;
  qemuBuild?: boolean;
  qemu?: string;
  /** Every purpose, for every profile: what any command can run. */
  all?: boolean;
}

export interface DoctorReport {
  scope: string;
  purposes: string[];
  results: CheckResult[];
  missing: CheckResult[];
  install?: string;
}

/** lab doctor: what the host lacks, from deps/host-packages.txt, with the one apt-get line that installs it. */
export async function diagnoseHost(flags: DoctorFlags, probe: Probe = systemProbe): Promise<DoctorReport> {
  const packages = loadHostPackages();
  if (flags.all) {
    const results = await runChecks(checksFor(packages, PURPOSES), probe);
    const missing = results.filter((r) => !r.ok);
    return { scope: 'every command, every profile', purposes: [...PURPOSES], results, missing, install: installLine(results) };
  }
  const profile = loadProfile(flags.profile ?? 'debian');
  const build = qemuChoice(profile, flags) === 'build';
  const purposes = purposesFor({ qemuBuild: build, rootfs: profile.rootfs });
  const results = await runChecks(checksFor(packages, purposes, profile), probe);
  const missing = results.filter((r) => !r.ok);
  return { scope: `profile ${profile.name}${build ? ', QEMU built from source' : ''}`, purposes, results, missing, install: installLine(results) };
}
