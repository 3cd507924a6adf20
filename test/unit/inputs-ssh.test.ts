/**
 * ssh's own failure (255) told from a guest command that exits 255: the
 * guest's shell reports the command's status after it. The remote words are
 * run here by sh and bash as the guest's login shell would run them.
 */
import { execa } from 'execa';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { projectRootOf } from '../../src/config/paths.js';
import { SSH_DESTINATION, sshExecArgs } from '../../src/guest/ssh.js';
import { reportingStatus, sshOutcome } from '../../src/guest/ssh-status.js';
import { PROJECT } from '../helpers/cli.js';

const LAB_EXEC = path.join(PROJECT, 'image', 'common', 'lab-exec');
const target = { port: 2222, key: '/k' };

/** What the guest's shell does with the words ssh sends it (joined by spaces, as ssh does). */
async function asGuest(shell: string, argv: string[]) {
  const args = reportingStatus(sshExecArgs(target, argv, LAB_EXEC), SSH_DESTINATION);
  const remote = args.slice(args.indexOf(SSH_DESTINATION) + 1).join(' ');
  const r = await execa(shell, ['-c', remote], {
    reject: false,
    encoding: 'buffer',
    stdin: 'ignore',
    stripFinalNewline: false,
  });
  return { ...sshOutcome(r.exitCode ?? -1, Buffer.from(r.stderr)), stdout: Buffer.from(r.stdout).toString() };
}

describe('ssh exit status 255', () => {
  for (const shell of ['sh', 'bash']) {
    it(`is the command's own when the guest's ${shell} reports it`, async () => {
      expect(await asGuest(shell, ['sh', '-c', 'exit 255'])).toEqual({
        exitCode: 255,
        stderr: Buffer.from(''),
        stdout: '',
      });
      const both = await asGuest(shell, ['sh', '-c', 'echo out; printf "err, no newline" >&2; exit 3']);
      expect(both).toEqual({ exitCode: 3, stderr: Buffer.from('err, no newline'), stdout: 'out\n' });
    });
  }

  it("is the plain words' own too (run by exec in a subshell; root's shell in the guest is bash)", async () => {
    expect(await asGuest('bash', ['false'])).toMatchObject({ exitCode: 1 });
    expect(await asGuest('bash', ['true'])).toMatchObject({ exitCode: 0, stderr: Buffer.from('') });
  });

  it("is ssh's own failure when no report came", () => {
    expect(sshOutcome(255, Buffer.from('ssh: connect to host 127.0.0.1 port 2222: Connection refused\r\n'))).toEqual({
      unreachable: 'ssh: connect to host 127.0.0.1 port 2222: Connection refused',
    });
    expect(sshOutcome(255, Buffer.from(''))).toEqual({ unreachable: 'ssh exited 255' });
    expect(sshOutcome(1, Buffer.from('x'))).toEqual({ exitCode: 1, stderr: Buffer.from('x') });
  });

  it('takes the last report, so a command printing a report-like text cannot fake one', () => {
    const stderr = Buffer.from('\x1elab-exit=0\x1e tail\x1elab-exit=255\x1e');
    expect(sshOutcome(255, stderr)).toEqual({ exitCode: 255, stderr: Buffer.from('\x1elab-exit=0\x1e tail') });
  });
});

describe('projectRoot', () => {
  const root = '/tmp/My Labs/Übung ü';
  const hasManifest = (dir: string) => dir === root;

  it('decodes a checkout path with a space and a non-ASCII letter', () => {
    const url = pathToFileURL(path.join(root, 'dist', 'config', 'paths.js')).href;
    expect(url).toContain('%20');
    expect(projectRootOf(url, hasManifest)).toBe(root);
    expect(projectRootOf(pathToFileURL(path.join(PROJECT, 'src', 'config', 'paths.ts')).href)).toBe(PROJECT);
    expect(fileURLToPath(url)).toBe(path.join(root, 'dist', 'config', 'paths.js'));
  });

  it('is the nearest folder with a package.json, at any depth: the bundle, its chunks, the compiled modules', () => {
    for (const file of ['dist/lab.js', 'dist/lab-chunks/chunk-X.js', 'dist/config/paths.js']) {
      expect(projectRootOf(pathToFileURL(path.join(root, file)).href, hasManifest)).toBe(root);
    }
    expect(() => projectRootOf(pathToFileURL('/nowhere/dist/lab.js').href, () => false)).toThrow(/no package.json/);
  });
});
