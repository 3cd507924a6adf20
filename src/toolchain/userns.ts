/**
 * Whether lab can make and enter its build root without root: mmdebstrap's
 * unshare mode needs the user's subordinate ids, and both it and bwrap need
 * unprivileged user namespaces, which some kernels switch off. As root
 * neither is needed. Pure: the runner reads the files and passes them in.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { LabError } from '../errors.js';

export interface UsernsFacts {
  uid: number;
  user: string;
  /** /etc/subuid and /etc/subgid, or undefined when absent. */
  subuid?: string;
  subgid?: string;
  /** The sysctls that can forbid user namespaces, where this kernel has them. */
  sysctls: Partial<
    Record<
      'kernel.unprivileged_userns_clone' | 'user.max_user_namespaces' | 'kernel.apparmor_restrict_unprivileged_userns',
      string
    >
  >;
}

const FIX_OR_HOST = 'or run lab as root, or build with --toolchain host (outputs will not match lab.lock)';

/**
 * What stops the build root here, as one error; undefined when nothing does
 * (pure). Entering a root needs a user namespace; making one (mmdebstrap's
 * unshare mode) also needs subordinate ids.
 */
export function usernsProblem(f: UsernsFacts, o: { making: boolean }): LabError | undefined {
  if (f.uid === 0) return undefined;
  const s = f.sysctls;
  const forbidden = (name: keyof UsernsFacts['sysctls'], bad: string, fix: string) =>
    s[name]?.trim() === bad
      ? new LabError(
          'USERNS_UNAVAILABLE',
          `lab cannot enter its build root: ${name}=${bad} forbids unprivileged user namespaces`,
          { hint: `${fix}, ${FIX_OR_HOST}` },
        )
      : undefined;
  const blocked =
    forbidden('kernel.unprivileged_userns_clone', '0', 'sudo sysctl -w kernel.unprivileged_userns_clone=1') ??
    forbidden('user.max_user_namespaces', '0', 'sudo sysctl -w user.max_user_namespaces=15000') ??
    forbidden(
      'kernel.apparmor_restrict_unprivileged_userns',
      '1',
      'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu 24.04 and later)',
    );
  if (blocked || !o.making) return blocked;
  const has = (text: string | undefined) =>
    (text ?? '').split('\n').some((line) => line.split(':')[0] === f.user || line.split(':')[0] === String(f.uid));
  if (!has(f.subuid) || !has(f.subgid)) {
    return new LabError(
      'USERNS_UNAVAILABLE',
      `lab cannot make its build root as ${f.user}: /etc/subuid and /etc/subgid give ${f.user} no subordinate ids`,
      { hint: `sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${f.user}, ${FIX_OR_HOST}` },
    );
  }
  return undefined;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** This machine's facts. */
export function usernsFacts(): UsernsFacts {
  const sysctl = (name: string) => read(`/proc/sys/${name.replace(/\./g, '/')}`);
  const sysctls: UsernsFacts['sysctls'] = {};
  for (const name of [
    'kernel.unprivileged_userns_clone',
    'user.max_user_namespaces',
    'kernel.apparmor_restrict_unprivileged_userns',
  ] as const) {
    const value = sysctl(name);
    if (value !== undefined) sysctls[name] = value;
  }
  return {
    uid: process.getuid?.() ?? 0,
    user: os.userInfo().username,
    subuid: read('/etc/subuid'),
    subgid: read('/etc/subgid'),
    sysctls,
  };
}
