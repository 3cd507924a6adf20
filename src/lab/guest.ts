import { LabError } from '../errors.js';
import type { ExecReply } from '../guest/agent-protocol.js';
import { guestCopy, guestExec, parseCopy } from '../guest/channel.js';
import { SSH_DESTINATION, sshOptions } from '../guest/ssh.js';
import type { Command } from '../process/command.js';
import { requireVm } from '../vm/status.js';
import type { LabContext } from './context.js';

/** lab exec: argv run in the guest, byte for byte; its exit code is the result's. */
export async function execInGuest(ctx: LabContext, argv: string[], timeoutSeconds: number): Promise<ExecReply> {
  if (argv.length === 0) throw new LabError('NO_COMMAND', 'no command given');
  if (!(timeoutSeconds > 0))
    throw new LabError('BAD_TIMEOUT', `--timeout ${timeoutSeconds} is not a number of seconds`);
  const vm = await requireVm(ctx.paths);
  return guestExec(vm, argv, { timeoutMs: timeoutSeconds * 1000, signal: ctx.signal });
}

/** lab cp: one side is guest:/PATH. */
export async function copyWithGuest(ctx: LabContext, src: string, dst: string): Promise<void> {
  const copy = parseCopy(src, dst);
  const vm = await requireVm(ctx.paths);
  await guestCopy(vm, copy, ctx.signal);
}

/**
 * lab ssh: the ssh command for a shell (with a terminal), or for the user's
 * own shell command (ssh joins the words, as "ssh host CMD" always does).
 */
export async function sshCommand(ctx: LabContext, words: string[], terminal: boolean): Promise<Command> {
  const vm = await requireVm(ctx.paths);
  if (!vm.ssh) throw new LabError('NO_SSH', `the ${vm.rootfs.kind} rootfs has no ssh`);
  const tty = words.length === 0 && terminal ? ['-t'] : [];
  return { program: 'ssh', args: [...sshOptions(vm.ssh), ...tty, SSH_DESTINATION, ...words], what: 'ssh to the guest' };
}
