import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { LabError, InterruptedError } from '../errors.js';
import type { ExecReply } from './agent-protocol.js';
import { argvTokens } from './agent-protocol.js';

/** The lab's own ssh key: made once per lab directory, private key 0600. */
export async function ensureLabKey(keyFile: string): Promise<{ privateKey: string; publicKey: string }> {
  if (!existsSync(keyFile)) {
    await mkdir(path.dirname(keyFile), { recursive: true, mode: 0o700 });
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'lab', '-f', keyFile]).catch((err) => {
      throw new LabError('TOOL_MISSING', `ssh-keygen failed: ${(err as Error).message.split('\n')[0]}`, { hint: 'apt-get install openssh-client' });
    });
  }
  return { privateKey: keyFile, publicKey: (await readFile(`${keyFile}.pub`, 'utf8')).trim() };
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
  const r = await execa('ssh', sshExecArgs(target, argv, guestLabExec), {
    reject: false,
    stdin: 'ignore',
    encoding: 'buffer',
    stripFinalNewline: false,
    timeout: options.timeoutMs,
    cancelSignal: options.signal,
  });
  if (options.signal?.aborted) throw new InterruptedError(`running ${argv[0]}`);
  if (r.timedOut) throw new LabError('GUEST_TIMEOUT', `${argv[0]} did not finish within ${Math.round((options.timeoutMs ?? 0) / 1000)} s`);
  if (r.exitCode === 255) {
    throw new LabError('GUEST_UNREACHABLE', `ssh to the guest failed: ${Buffer.from(r.stderr).toString().trim().split('\n')[0]}`, {
      hint: 'is the VM up and ready? see lab status',
    });
  }
  return { exitCode: r.exitCode ?? 1, stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr) };
}

/** True when sshd answers and lets the lab's key in. */
export async function sshReady(target: SshTarget, guestLabExec: string): Promise<boolean> {
  const r = await execa('ssh', sshExecArgs(target, ['true'], guestLabExec), { reject: false, stdin: 'ignore', timeout: 10_000 });
  return r.exitCode === 0;
}
