import type { Profile } from '../config/profile.js';
import type { Recipe } from '../qemu/recipe.js';

/** One thing lab needs, how to see whether it is there, and the Debian package that brings it. */
export type Check =
  | { what: string; kind: 'command'; name: string; package: string }
  | { what: string; kind: 'file'; path: string; package: string }
  | { what: string; kind: 'pkg-config'; module: string; package: string }
  | { what: string; kind: 'static-binary'; path: string; package: string };

export interface Probe {
  hasCommand(name: string): boolean;
  hasFile(path: string): boolean;
  hasPkgConfig(module: string): boolean;
  isStatic(path: string): boolean;
}

export interface CheckResult {
  check: Check;
  ok: boolean;
}

/** Everything the chosen profile needs, QEMU build dependencies included when QEMU is built (pure). */
export function checksFor(profile: Profile, options: { qemuBuild: boolean; recipe?: Recipe }): Check[] {
  const checks: Check[] = [
    { what: 'C compiler', kind: 'command', name: 'gcc', package: 'build-essential' },
    { what: 'make', kind: 'command', name: 'make', package: 'build-essential' },
    { what: 'flex (kconfig)', kind: 'command', name: 'flex', package: 'flex' },
    { what: 'bison (kconfig)', kind: 'command', name: 'bison', package: 'bison' },
    { what: 'bc (kernel build)', kind: 'command', name: 'bc', package: 'bc' },
    { what: 'libelf headers (objtool)', kind: 'file', path: '/usr/include/gelf.h', package: 'libelf-dev' },
    { what: 'OpenSSL headers (kernel certs)', kind: 'file', path: '/usr/include/openssl/ssl.h', package: 'libssl-dev' },
    { what: 'xz (source tarballs)', kind: 'command', name: 'xz', package: 'xz-utils' },
    { what: 'gdb', kind: 'command', name: 'gdb', package: 'gdb' },
    { what: 'static busybox (initramfs)', kind: 'static-binary', path: '/bin/busybox', package: 'busybox-static' },
  ];
  if (profile.kernel.source.kind === 'debian-package') {
    checks.push({ what: 'kernel source', kind: 'file', path: profile.kernel.source.path, package: profile.kernel.source.package });
  }
  if (options.qemuBuild && options.recipe) {
    const r = options.recipe;
    checks.push({ what: 'ninja', kind: 'command', name: 'ninja', package: 'ninja-build' });
    checks.push({ what: 'pkg-config', kind: 'command', name: 'pkg-config', package: 'pkg-config' });
    checks.push({ what: 'bzip2', kind: 'command', name: 'bzip2', package: 'bzip2' });
    if (r.configure.includes('--meson=meson')) checks.push({ what: 'meson', kind: 'command', name: 'meson', package: 'meson' });
    checks.push({ what: 'glib (QEMU)', kind: 'pkg-config', module: 'glib-2.0', package: 'libglib2.0-dev' });
    checks.push({ what: 'pixman (QEMU)', kind: 'pkg-config', module: 'pixman-1', package: 'libpixman-1-dev' });
    if (r.configure.includes('--enable-slirp')) checks.push({ what: 'libslirp (QEMU user networking)', kind: 'pkg-config', module: 'slirp', package: 'libslirp-dev' });
    if (r.packages.build.includes('libfdt-dev')) checks.push({ what: 'libfdt headers (QEMU)', kind: 'file', path: '/usr/include/libfdt.h', package: 'libfdt-dev' });
    if (r.packages.build.includes('python3-venv')) checks.push({ what: 'python venv (QEMU 8 configure)', kind: 'command', name: 'python3', package: 'python3-venv' });
    r.firmwareDirs.forEach((dir, i) => checks.push({ what: `firmware ${dir}`, kind: 'file', path: dir, package: r.packages.run[i] ?? r.packages.run.join(' ') }));
  } else {
    checks.push({ what: 'QEMU', kind: 'command', name: 'qemu-system-x86_64', package: 'qemu-system-x86' });
  }
  return checks;
}

export function runChecks(checks: Check[], probe: Probe): CheckResult[] {
  return checks.map((check) => {
    switch (check.kind) {
      case 'command':
        return { check, ok: probe.hasCommand(check.name) };
      case 'file':
        return { check, ok: probe.hasFile(check.path) };
      case 'pkg-config':
        return { check, ok: probe.hasPkgConfig(check.module) };
      case 'static-binary':
        return { check, ok: probe.hasFile(check.path) && probe.isStatic(check.path) };
    }
  });
}

/** The one apt-get line that installs everything missing, or undefined when nothing is. */
export function installLine(results: CheckResult[]): string | undefined {
  const packages = [...new Set(results.filter((r) => !r.ok).map((r) => r.check.package))];
  return packages.length ? `sudo apt-get install -y ${packages.join(' ')}` : undefined;
}

export function renderDoctor(results: CheckResult[]): string {
  const lines = results.map((r) => `${r.ok ? 'ok     ' : 'MISSING'}  ${r.check.what}${r.ok ? '' : `  (package ${r.check.package})`}`);
  const line = installLine(results);
  lines.push(line ? `\n${results.filter((r) => !r.ok).length} missing; install with:\n  ${line}` : '\neverything lab needs is here');
  return lines.join('\n');
}
