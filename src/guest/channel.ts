import { statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execute } from '../process/runner.js';
import { LabError } from '../errors.js';
import { GUEST_LAB_EXEC } from '../image/debian-plan.js';
import type { GuestEndpoint } from './endpoint.js';
import type { ExecReply } from './agent-protocol.js';
import { agentExec, agentPut } from './serial-agent.js';
import { scpArgs, SSH_DESTINATION, sshExec } from './ssh.js';

/** Runs argv in the guest by whichever channel its rootfs has: the serial agent or ssh. */
export async function guestExec(
  vm: GuestEndpoint,
  argv: string[],
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ExecReply> {
  if (vm.ssh) return sshExec(vm.ssh, argv, GUEST_LAB_EXEC, options);
  return agentExec(vm.sockets.agent, argv, options);
}

export type CopyDirection =
  { toGuest: true; local: string; guest: string } | { toGuest: false; guest: string; local: string };

/** "guest:PATH" on exactly one side (pure). */
export function parseCopy(src: string, dst: string): CopyDirection {
  const g = (s: string) => s.startsWith('guest:');
  if (g(src) === g(dst)) {
    throw new LabError('BAD_COPY', 'lab cp needs exactly one side prefixed with guest:', {
      hint: 'lab cp FILE guest:/root/ or lab cp guest:/proc/vmstat ./',
    });
  }
  const guestPath = (s: string) => {
    const p = s.slice('guest:'.length);
    if (!p.startsWith('/'))
      throw new LabError('BAD_COPY', `guest path "${p}" is not absolute`, { hint: 'write guest:/root/file' });
    return p;
  };
  return g(dst)
    ? { toGuest: true, local: src, guest: guestPath(dst) }
    : { toGuest: false, guest: guestPath(src), local: dst };
}

export async function guestCopy(vm: GuestEndpoint, copy: CopyDirection, signal?: AbortSignal): Promise<void> {
  if (vm.ssh) {
    const remote = `${SSH_DESTINATION}:${copy.guest}`;
    const args = copy.toGuest ? scpArgs(vm.ssh, copy.local, remote) : scpArgs(vm.ssh, remote, copy.local);
    const r = await execute({ program: 'scp', args, what: 'scp' }, { signal });
    if (r.exitCode !== 0)
      throw new LabError(
        'COPY_FAILED',
        `scp failed: ${r.stderr.toString().trim().split('\n')[0] ?? `exit ${r.exitCode}`}`,
      );
    return;
  }
  if (copy.toGuest) {
    if (copy.guest.endsWith('/')) copy = { ...copy, guest: copy.guest + path.basename(copy.local) };
    const code = await agentPut(vm.sockets.agent, copy.guest, await readFile(copy.local), { signal });
    if (code !== 0)
      throw new LabError('COPY_FAILED', `writing ${copy.guest} in the guest failed (exit ${code})`, {
        hint: 'does its directory exist?',
      });
  } else {
    const r = await agentExec(vm.sockets.agent, ['cat', copy.guest], { signal });
    if (r.exitCode !== 0)
      throw new LabError('COPY_FAILED', `reading ${copy.guest} in the guest failed: ${r.stderr.toString().trim()}`);
    const local = statSync(copy.local, { throwIfNoEntry: false })?.isDirectory()
      ? path.join(copy.local, path.basename(copy.guest))
      : copy.local;
    await writeFile(local, r.stdout);
  }
}
