import { archSpec, rootfsFor, type Arch } from '../arch/arch.js';
import type { Profile } from '../config/profile.js';
import type { HostPackage, Provision, Purpose } from './host-packages.js';

/** Looks at a machine; tests give a fake one. */
export interface Probe {
  hasCommand(name: string): boolean;
  hasFile(path: string): boolean;
  isStatic(path: string): boolean;
  hasPkgConfig(module: string): Promise<boolean>;
}

export interface Check {
  /** "debootstrap or mmdebstrap", "/usr/include/gelf.h" */
  what: string;
  package: string;
  purpose: string;
  alternatives: Provision[];
}

export interface CheckResult {
  check: Check;
  ok: boolean;
}

function describe(p: Provision): string {
  switch (p.kind) {
    case 'command':
      return p.name;
    case 'file':
      return p.path;
    case 'static':
      return `${p.path} (static)`;
    case 'pkg-config':
      return `pkg-config ${p.module}`;
  }
}

/** The purposes one profile needs (pure); --all is every purpose but those installed on request. */
export function purposesFor(options: { qemuBuild: boolean; rootfs: 'debian' | 'initramfs'; arch?: Arch }): Purpose[] {
  const arch = options.arch ?? 'x86_64';
  const qemu = options.qemuBuild ? 'qemu-build' : archSpec(arch).qemu.purpose;
  const purposes: Purpose[] = [qemu, 'debug', 'kernel', 'initramfs'];
  // the rootfs the build gets: an arm64 lab's is the initramfs unless --rootfs debian
  if (rootfsFor(arch, options.rootfs, false) === 'debian') purposes.push('image');
  return purposes;
}

/**
 * One check per item the packages of these purposes provide. An optional
 * package (a distribution's kernel source) is checked only for a profile that
 * builds from that very file; a profile whose source is a package the list
 * does not name still gets its check.
 */
export function checksFor(packages: HostPackage[], purposes: readonly string[], profile?: Profile): Check[] {
  const sourceFile = profile?.kernel.source.kind === 'debian-package' ? profile.kernel.source.path : undefined;
  const isSource = (alts: Provision[]) => alts.some((a) => a.kind === 'file' && a.path === sourceFile);
  const checks: Check[] = [];
  for (const p of packages) {
    if (!purposes.includes(p.purpose)) continue;
    for (const alternatives of p.provides) {
      if (p.optional && !isSource(alternatives)) continue;
      checks.push({
        what: alternatives.map(describe).join(' or '),
        package: p.package,
        purpose: p.purpose,
        alternatives,
      });
    }
  }
  if (profile?.kernel.source.kind === 'debian-package' && !checks.some((c) => isSource(c.alternatives))) {
    const source = profile.kernel.source;
    checks.push({
      what: source.path,
      package: source.package,
      purpose: 'kernel',
      alternatives: [{ kind: 'file', path: source.path }],
    });
  }
  return checks;
}

async function satisfied(p: Provision, probe: Probe): Promise<boolean> {
  switch (p.kind) {
    case 'command':
      return probe.hasCommand(p.name);
    case 'file':
      return probe.hasFile(p.path);
    case 'static':
      return probe.hasFile(p.path) && probe.isStatic(p.path);
    case 'pkg-config':
      return probe.hasPkgConfig(p.module);
  }
}

export async function runChecks(checks: Check[], probe: Probe): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    let ok = false;
    for (const a of check.alternatives) if (!ok) ok = await satisfied(a, probe);
    results.push({ check, ok });
  }
  return results;
}

/** The one apt-get line that installs everything missing, or undefined when nothing is. */
export function installLine(results: CheckResult[]): string | undefined {
  const packages = [...new Set(results.filter((r) => !r.ok).map((r) => r.check.package))];
  return packages.length ? `sudo apt-get install -y ${packages.join(' ')}` : undefined;
}
