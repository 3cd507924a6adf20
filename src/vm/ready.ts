import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { LabError, InterruptedError } from '../errors.js';
import type { LabPaths } from '../config/paths.js';
import { agentPing } from '../guest/serial-agent.js';
import { openMux, sshBanner, sshReady } from '../guest/ssh.js';
import { GUEST_LAB_EXEC } from '../image/debian-plan.js';
import { isOurQemu, type VmState } from './state.js';

export async function lastSerialLines(paths: LabPaths, n = 15): Promise<string[]> {
  if (!existsSync(paths.serialLog)) return [];
  const text = await readFile(paths.serialLog, 'utf8');
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .slice(-n);
}

/** The shared connection doubles as the readiness check: it succeeds once sshd lets the lab's key in. */
function sshAnswers(ssh: NonNullable<VmState['ssh']>): Promise<boolean> {
  return ssh.controlPath ? openMux({ ...ssh, controlPath: ssh.controlPath }) : sshReady(ssh, GUEST_LAB_EXEC);
}

/**
 * Waits until the guest answers on its channel (ssh, else the agent), or fails
 * with its last serial lines. A booting guest's sshd is first probed for its
 * banner, which costs less than an ssh that fails; a restored guest's is up.
 */
export async function waitReady(
  paths: LabPaths,
  state: VmState,
  timeoutMs: number,
  options: { signal?: AbortSignal; restored?: boolean } = {},
): Promise<void> {
  const { signal } = options;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new InterruptedError('lab up');
    if (!(await isOurQemu(state.pid, paths.qmpSocket))) {
      const lines = await lastSerialLines(paths);
      throw new LabError(
        'BOOT_FAILED',
        `the VM stopped before the guest was ready; last serial lines:\n  ${lines.join('\n  ')}`,
      );
    }
    if (
      state.ssh
        ? (options.restored || (await sshBanner(state.ssh.port))) && (await sshAnswers(state.ssh))
        : await agentPing(state.sockets.agent, 1000)
    )
      return;
    await new Promise((r) => setTimeout(r, 200));
  }
  const lines = await lastSerialLines(paths);
  throw new LabError(
    'BOOT_TIMEOUT',
    `the guest was not ready within ${Math.round(timeoutMs / 1000)} s (the ` +
      `VM was stopped); last serial lines:\n  ${lines.join('\n  ') || '(none)'}`,
  );
}
