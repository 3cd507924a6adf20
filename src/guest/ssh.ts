import type { Command } from '../process/command.js';
import { execute } from '../process/runner.js';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import type { ExecReply } from './agent-protocol.js';
import { argvTokens } from './agent-protocol.js';

/** The lab's own ssh key: made once per lab directory, private key 0600. */
export async function ensureLabKey(keyFile: string): Promise<{ privateKey: string; publicKey: string }> {
  if (!existsSync(keyFile)) {
    await mkdir(path.dirname(keyFile), { recursive: true, mode: 0o700 });
    const r = await execute(keygenCommand(keyFile));
    if (r.exitCode !== 0) throw new LabError('STEP_FAILED', `ssh-keygen failed: ${r.stderr.toString().trim().split('\n')[0]}`);
  }
  return { privateKey: keyFile, publicKey: (await readFile(`${keyFile}.pub`, 'utf8')).trim() };
}

export function keygenCommand(keyFile: string): Command {
  return { program: 'ssh-keygen', args: ['-q', '-t', 'ed25519', '-N', '', '-C', 'lab', '-f', keyFile], what: 'making the lab ssh key (ssh-keygen)' };
}

/** The public key as it travels on the kernel command line (a word with no spaces). */
export function kernelKeyArg(publicKey: string): string {
  return `lab.ssh_key=${Buffer.from(publicKey).toString('base64')}`;
}

export interface SshTarget {
  port: number;
  key: string;
}

/**
 * ssh options for the lab's VM (pure). The guest is a local VM whose host keys
 * change with every image, reached only through 127.0.0.1: no known_hosts.
 */
export function sshOptions(target: SshTarget): string[] {
  return [
    '-i', target.key,
    '-p', String(target.port),
    '-o', 'IdentitiesOnly=yes',
    '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR',
    '-o', 'ConnectTimeout=5',
  ];
}

export const SSH_DESTINATION = 'root@127.0.0.1';

/** lab exec over ssh: the remote shell sees only base64 words, which lab-exec decodes into argv. */
export function sshExecArgs(target: SshTarget, argv: string[], guestLabExec: string): string[] {
  return [...sshOptions(target), '-o', 'BatchMode=yes', '-T', SSH_DESTINATION, guestLabExec, ...argvTokens(argv)];
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
  const r = await execute({ program: 'ssh', args: sshExecArgs(target, argv, guestLabExec), what: `running ${argv[0]}` }, {
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  });
  if (r.timedOut) throw new LabError('GUEST_TIMEOUT', `${argv[0]} did not finish within ${Math.round((options.timeoutMs ?? 0) / 1000)} s`);
  if (r.exitCode === 255) {
    throw new LabError('GUEST_UNREACHABLE', `ssh to the guest failed: ${r.stderr.toString().trim().split('\n')[0]}`);
  }
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
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

/** True when sshd answers and lets the lab's key in. */
export async function sshReady(target: SshTarget, guestLabExec: string): Promise<boolean> {
  const r = await execute({ program: 'ssh', args: sshExecArgs(target, ['true'], guestLabExec), what: 'ssh readiness check' }, { timeoutMs: 10_000 });
  return r.exitCode === 0 && !r.timedOut;
}
