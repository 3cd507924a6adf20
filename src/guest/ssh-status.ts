/**
 * ssh exits 255 when it fails itself (no connection, the key refused, the
 * connection lost), and also when the command it ran exited 255: the exit
 * status alone cannot tell a guest that is unreachable from `sh -c 'exit
 * 255'`. So the guest's shell reports the command's status after it, as the
 * last bytes on stderr, between two RS (0x1e) bytes; the host takes the
 * status from there and removes the report. No report and 255: ssh failed.
 * Pure.
 */
const RS = String.fromCharCode(0x1e);
const REPORT = new RegExp(`${RS}lab-exit=(\\d{1,3})${RS}`, 'g');

/**
 * The remote words of sshExecArgs (after the destination), made to report the
 * command's status: `exec` would replace the shell that reports, so the
 * command runs in a subshell that execs it, which is the same one process.
 */
export function reportingStatus(args: string[], destination: string): string[] {
  const at = args.indexOf(destination) + 1;
  const words = args.slice(at);
  const command = words[0] === 'exec' ? ['(', ...words, ')'] : words;
  return [...args.slice(0, at), ...command, ';', 's=$?;', `printf '\\036lab-exit=%d\\036' "$s" >&2;`, 'exit "$s"'];
}

export type SshOutcome = { exitCode: number; stderr: Buffer } | { unreachable: string };

/** What ssh's exit status and stderr say: the command's status and its own stderr, or ssh's failure. */
export function sshOutcome(exitCode: number, stderr: Buffer): SshOutcome {
  const text = stderr.toString('latin1');
  const last = [...text.matchAll(REPORT)].at(-1);
  if (last?.index !== undefined) {
    const without = Buffer.concat([
      stderr.subarray(0, last.index),
      stderr.subarray(last.index + Buffer.byteLength(last[0], 'latin1')),
    ]);
    return { exitCode: Number(last[1]), stderr: without };
  }
  if (exitCode === 255) {
    const first = stderr.toString().trim().split('\n')[0] || 'ssh exited 255';
    return { unreachable: first };
  }
  return { exitCode, stderr };
}
