import type { Command } from '../process/command.js';
import { execute, launchDetached } from '../process/runner.js';
import { waitGone } from '../process/signals.js';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import { isPlainShellWord } from '../util/shell-quote.js';
import type { ExecReply } from './agent-protocol.js';
import { argvTokens } from './agent-protocol.js';
import { reportingStatus, sshOutcome } from './ssh-status.js';

/** The lab's own ssh key: made once per lab directory, private key 0600. */
export async function ensureLabKey(keyFile: string): Promise<{ privateKey: string; publicKey: string }> {
  if (!existsSync(keyFile)) {
    await mkdir(path.dirname(keyFile), { recursive: true, mode: 0o700 });
    const r = await execute(keygenCommand(keyFile));
    if (r.exitCode !== 0)
      throw new LabError('STEP_FAILED', `ssh-keygen failed: ${r.stderr.toString().trim().split('\n')[0]}`);
  }
  return { privateKey: keyFile, publicKey: (await readFile(`${keyFile}.pub`, 'utf8')).trim() };
}

export function keygenCommand(keyFile: string): Command {
  return {
    program: 'ssh-keygen',
    args: ['-q', '-t', 'ed25519', '-N', '', '-C', 'lab', '-f', keyFile],
    what: 'making the lab ssh key (ssh-keygen)',
  };
}

/** The public key as it travels on the kernel command line (a word with no spaces). */
export function kernelKeyArg(publicKey: string): string {
  return `lab.ssh_key=${Buffer.from(publicKey).toString('base64')}`;
}

export interface SshTarget {
  port: number;
  key: string;
  /** ssh's control socket: while lab up's master connection lives, every ssh rides it (no new handshake). */
  controlPath?: string;
}

/**
 * A unix socket path must fit sun_path (108 bytes with its NUL), and ssh's
 * master first binds PATH plus a random 17-byte suffix, then renames it: a
 * longer path goes without a shared connection.
 */
const MAX_SOCKET_PATH = 107 - 17;

/** The VM's ssh control socket, named by port so a socket left by an earlier VM is never reused (pure). */
export function muxSocket(vmDir: string, port: number): { controlPath?: string } {
  const controlPath = path.join(vmDir, `ssh-${port}.sock`);
  return controlPath.length <= MAX_SOCKET_PATH ? { controlPath } : {};
}

/**
 * ssh options for the lab's VM (pure). The guest is a local VM whose host keys
 * change with every image, reached only through 127.0.0.1: no known_hosts.
 */
export function sshOptions(target: SshTarget): string[] {
  return [
    '-i',
    target.key,
    '-p',
    String(target.port),
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'ConnectTimeout=5',
    // the guest computes its half under TCG: the default post-quantum exchange
    // (sntrup761) costs it 0.3 s a connection more than X25519 alone
    '-o',
    'KexAlgorithms=curve25519-sha256,curve25519-sha256@libssh.org',
    // ControlMaster=no: use the master when its socket answers, else connect on our own
    ...(target.controlPath ? ['-o', `ControlPath=${target.controlPath}`, '-o', 'ControlMaster=no'] : []),
  ];
}

/**
 * The shared connection lab up opens once the guest answers (pure): -f puts it
 * in the background (its own session, so no process group kill of ours ends
 * it), lab down ends it with -O exit, and one whose QEMU exits sees its
 * connection closed and removes its socket. No ServerAlive probes: a guest
 * stopped at a breakpoint answers nothing for as long as gdb holds it, and a
 * master that gave up then would cut every session riding it.
 */
export function muxMasterArgs(target: SshTarget & { controlPath: string }): string[] {
  const options = sshOptions({ port: target.port, key: target.key });
  return [
    ...options,
    '-o',
    'BatchMode=yes',
    '-o',
    `ControlPath=${target.controlPath}`,
    '-o',
    'ControlMaster=yes',
    '-f',
    '-N',
    SSH_DESTINATION,
  ];
}

/**
 * A request to the shared connection's master (check: is it there, and
 * its pid; exit: end it), or undefined when there is none.
 */
export function muxRequestArgs(target: SshTarget, request: 'check' | 'exit' = 'exit'): string[] | undefined {
  return target.controlPath ? ['-o', `ControlPath=${target.controlPath}`, '-O', request, SSH_DESTINATION] : undefined;
}

export const SSH_DESTINATION = 'root@127.0.0.1';

/**
 * lab exec over ssh (pure). The remote shell never parses a byte of the
 * arguments: plain words go as they are behind `exec` (no decoding process in
 * the guest: the common case, `sync`, `cat /proc/vmstat`), anything else as
 * base64 words that lab-exec decodes into argv.
 */
export function sshExecArgs(target: SshTarget, argv: string[], guestLabExec: string): string[] {
  const words =
    // after `exec` not even an `=` in a plain word makes an assignment
    argv.length > 0 && argv.every(isPlainShellWord) ? ['exec', '--', ...argv] : [guestLabExec, ...argvTokens(argv)];
  return [...sshOptions(target), '-o', 'BatchMode=yes', '-T', SSH_DESTINATION, ...words];
}

export function scpArgs(target: SshTarget, from: string, to: string): string[] {
  const opts = sshOptions(target);
  // scp spells the port -P
  const i = opts.indexOf('-p');
  opts[i] = '-P';
  return [...opts, '-o', 'BatchMode=yes', '-q', from, to];
}

export async function sshExec(
  target: SshTarget,
  argv: string[],
  guestLabExec: string,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ExecReply> {
  const args = reportingStatus(sshExecArgs(target, argv, guestLabExec), SSH_DESTINATION);
  const r = await execute(
    { program: 'ssh', args, what: `running ${argv[0]}` },
    {
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    },
  );
  if (r.timedOut)
    throw new LabError(
      'GUEST_TIMEOUT',
      `${argv[0]} did not finish within ${Math.round((options.timeoutMs ?? 0) / 1000)} s`,
    );
  const outcome = sshOutcome(r.exitCode, r.stderr);
  if ('unreachable' in outcome)
    throw new LabError('GUEST_UNREACHABLE', `ssh to the guest failed: ${outcome.unreachable}`);
  return { exitCode: outcome.exitCode, stdout: r.stdout, stderr: outcome.stderr };
}

/**
 * True once something on the port sends an SSH banner. QEMU accepts on the
 * forwarded port before the guest listens, so only the banner says sshd is
 * up; this costs a TCP round trip where a failed ssh costs a process and a
 * key exchange, so lab up can look every 200 ms.
 */
export function sshBanner(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('data', (d) => done(d.toString('latin1').startsWith('SSH-')));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

/** Opens the shared connection; true once sshd has let the lab's key in. */
export async function openMux(target: SshTarget & { controlPath: string }): Promise<boolean> {
  const r = await execute(
    { program: 'ssh', args: muxMasterArgs(target), what: 'opening the shared ssh connection' },
    { timeoutMs: 10_000 },
  );
  return r.exitCode === 0 && !r.timedOut;
}

/**
 * Opens the shared connection in the background: lab goes on at once, and a
 * command that comes before the connection is up connects on its own.
 */
export function openMuxInBackground(target: SshTarget & { controlPath: string }): void {
  launchDetached({ program: 'ssh', args: muxMasterArgs(target), what: 'opening the shared ssh connection' });
}

/** Ends the shared connection and waits until its process is gone; a master already gone is not an error. */
export async function closeMux(target: SshTarget): Promise<void> {
  const args = muxRequestArgs(target);
  if (!args) return;
  const check = await execute(
    { program: 'ssh', args: muxRequestArgs(target, 'check')!, what: 'finding the shared ssh connection' },
    { timeoutMs: 5000 },
  );
  const pid = Number(/pid=(\d+)/.exec(check.stderr.toString())?.[1]);
  if (!pid) return;
  await execute({ program: 'ssh', args, what: 'closing the shared ssh connection' }, { timeoutMs: 5000 });
  await waitGone(pid, 3000);
}

/** True when sshd answers and lets the lab's key in. */
export async function sshReady(target: SshTarget, guestLabExec: string): Promise<boolean> {
  const r = await execute(
    { program: 'ssh', args: sshExecArgs(target, ['true'], guestLabExec), what: 'ssh readiness check' },
    { timeoutMs: 10_000 },
  );
  return r.exitCode === 0 && !r.timedOut;
}
