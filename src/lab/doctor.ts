import { loadProfile } from '../config/profile.js';
import { chooseProfile } from '../config/lab-file.js';
import { checksFor, installLine, purposesFor, runChecks, type CheckResult, type Probe } from '../doctor/checks.js';
import { loadHostPackages, ON_REQUEST_PURPOSES, PURPOSES } from '../doctor/host-packages.js';
import { systemProbe } from '../doctor/probe.js';
import { qemuChoice } from './build.js';

export interface DoctorFlags {
  profile?: string;
  lab?: string;
  qemuBuild?: boolean;
  qemu?: string;
  /** Every purpose install-deps.sh --tests installs, for every profile: what any command but arm64's can run. */
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
    // what install-deps.sh --tests installs; arm64 guests' tools come only when asked for
    const purposes = PURPOSES.filter((p) => !ON_REQUEST_PURPOSES.includes(p));
    const results = await runChecks(checksFor(packages, purposes), probe);
    const missing = results.filter((r) => !r.ok);
    return {
      scope: 'every command, every profile (arm64 guests: lab doctor --profile of an arm64 lab)',
      purposes,
      results,
      missing,
      install: installLine(results),
    };
  }
  // the lab in ./lab.json when there is one, else debian: what works here offline
  const profile = flags.profile
    ? loadProfile(flags.profile)
    : (chooseProfile({ lab: flags.lab }).labFile?.profile ?? loadProfile('debian'));
  const build = qemuChoice(profile, flags) === 'build';
  const purposes = purposesFor({ qemuBuild: build, rootfs: profile.rootfs, arch: profile.arch });
  const results = await runChecks(checksFor(packages, purposes, profile), probe);
  const missing = results.filter((r) => !r.ok);
  return {
    scope: `profile ${profile.name}${build ? ', QEMU built from source' : ''}`,
    purposes,
    results,
    missing,
    install: installLine(results),
  };
}
