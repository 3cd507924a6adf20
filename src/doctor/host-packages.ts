import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config/paths.js';

/** What a package is checked by: a command on PATH, a file, a static executable, a pkg-config module. */
export type Provision =
  | { kind: 'command'; name: string }
  | { kind: 'file'; path: string }
  | { kind: 'static'; path: string }
  | { kind: 'pkg-config'; module: string };

export interface HostPackage {
  purpose: string;
  /** Installed only where the archive has it ("kernel?" in the list). */
  optional: boolean;
  package: string;
  /** Each item is satisfied by any one of its alternatives ("debootstrap|mmdebstrap"). */
  provides: Provision[][];
}

export const PURPOSES = [
  'qemu',
  'debug',
  'kernel',
  'initramfs',
  'image',
  'qemu-build',
  'postmortem',
  'cluster',
  'tests',
  'arm64',
] as const;
/** Purposes install-deps.sh installs only when named (not with --tests). */
export const ON_REQUEST_PURPOSES: Purpose[] = ['arm64'];
export type Purpose = (typeof PURPOSES)[number];

export function hostPackagesFile(): string {
  return path.join(projectRoot(), 'deps', 'host-packages.txt');
}

function provision(token: string): Provision {
  if (token.startsWith('static:')) return { kind: 'static', path: token.slice('static:'.length) };
  if (token.startsWith('pkg:')) return { kind: 'pkg-config', module: token.slice('pkg:'.length) };
  if (token.startsWith('/')) return { kind: 'file', path: token };
  return { kind: 'command', name: token };
}

/** deps/host-packages.txt's lines (pure): "purpose package provides...". */
export function parseHostPackages(text: string, origin = 'deps/host-packages.txt'): HostPackage[] {
  const out: HostPackage[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const [purposeWord, pkg, ...tokens] = line.split(/\s+/);
    const purpose = purposeWord!.replace(/\?$/, '');
    if (!(PURPOSES as readonly string[]).includes(purpose) || !pkg || tokens.length === 0) {
      throw new Error(
        `${origin}:${i + 1}: expected "purpose package provides..." with a purpose of ${PURPOSES.join(', ')}`,
      );
    }
    out.push({
      purpose,
      optional: purposeWord!.endsWith('?'),
      package: pkg,
      provides: tokens.map((t) => t.split('|').map(provision)),
    });
  });
  return out;
}

export function loadHostPackages(file = hostPackagesFile()): HostPackage[] {
  return parseHostPackages(readFileSync(file, 'utf8'), file);
}

/** Every command the list provides, with the package that brings it. */
export function providedCommands(packages: HostPackage[]): Map<string, string> {
  const commands = new Map<string, string>();
  for (const p of packages) {
    for (const alternatives of p.provides) {
      for (const a of alternatives) if (a.kind === 'command') commands.set(a.name, p.package);
    }
  }
  return commands;
}
