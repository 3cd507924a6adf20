import { describe, expect, it } from 'vitest';
import { usernsProblem, type UsernsFacts } from '../../src/toolchain/userns.js';

const student: UsernsFacts = {
  uid: 1000,
  user: 'ana',
  subuid: 'ana:100000:65536\n',
  subgid: 'ana:100000:65536\n',
  sysctls: { 'user.max_user_namespaces': '96367\n' },
};

describe('whether this user can make and enter the build root', () => {
  it('lets root and a user with subordinate ids and user namespaces through', () => {
    expect(usernsProblem(student, { making: true })).toBeUndefined();
    expect(usernsProblem({ ...student, uid: 0, user: 'root', subuid: undefined }, { making: true })).toBeUndefined();
  });

  it('names the sysctl that forbids user namespaces, and its fix', () => {
    const debian = usernsProblem(
      { ...student, sysctls: { 'kernel.unprivileged_userns_clone': '0\n' } },
      { making: false },
    );
    expect(debian?.code).toBe('USERNS_UNAVAILABLE');
    expect(debian?.message).toBe(
      'lab cannot enter its build root: kernel.unprivileged_userns_clone=0 forbids unprivileged user namespaces',
    );
    expect(debian?.hint).toMatch(/^sudo sysctl -w kernel\.unprivileged_userns_clone=1, or run lab as root/);
    const ubuntu = usernsProblem(
      { ...student, sysctls: { 'kernel.apparmor_restrict_unprivileged_userns': '1' } },
      { making: false },
    );
    expect(ubuntu?.message).toMatch(/apparmor_restrict_unprivileged_userns=1/);
    expect(ubuntu?.hint).toMatch(/--toolchain host/);
  });

  it('asks for subordinate ids only to make a root, not to enter one', () => {
    const none = { ...student, subuid: 'bob:100000:65536\n', subgid: undefined };
    expect(usernsProblem(none, { making: false })).toBeUndefined();
    const err = usernsProblem(none, { making: true });
    expect(err?.message).toBe(
      'lab cannot make its build root as ana: /etc/subuid and /etc/subgid give ana no subordinate ids',
    );
    expect(err?.hint).toMatch(/^sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ana/);
  });
});
