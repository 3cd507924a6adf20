import { gunzipSync } from 'node:zlib';
import { LabError } from '../errors.js';
import type { Guest } from './guest.js';

/** How often a compressed read whose gzip check fails is tried. */
const READ_ATTEMPTS = 3;

/**
 * A large text file from the guest, gzip -1 on the way: a function_graph
 * trace or the engine's 40,000 stacks are tens of MB of text that compress
 * about tenfold, and the initramfs's serial line (or arm64's virtio port
 * under TCG) carries a few hundred KB a second. gzip's CRC catches bytes the
 * channel changed: the file is unchanged in the guest, so it is read again.
 * cat where the guest has no gzip.
 */
export async function readCompressed(
  guest: Guest,
  file: string,
  timeoutMs = 600_000,
): Promise<{ out: string; bytes: number; gzipped?: Buffer }> {
  for (let attempt = 1; ; attempt++) {
    const r = await guest.exec(['gzip', '-c', '-1', file], { timeoutMs });
    if (r.exitCode !== 0) break;
    try {
      return { out: gunzipSync(r.stdout).toString('utf8'), bytes: r.stdout.length, gzipped: r.stdout };
    } catch (err) {
      if (attempt === READ_ATTEMPTS)
        throw new LabError(
          'TRACE_READ',
          `${file} arrived damaged ${READ_ATTEMPTS} times from the guest (${(err as Error).message})`,
          { hint: 'lab down, lab up, and record again; the trace is still in the guest until then' },
        );
    }
  }
  const plain = await guest.exec(['cat', file], { timeoutMs });
  if (plain.exitCode !== 0)
    throw new LabError('TRACE_READ', `reading ${file} failed: ${plain.stderr.toString('utf8').trim()}`);
  return { out: plain.stdout.toString('utf8'), bytes: plain.stdout.length };
}
