import { constants } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { readStoreRecord } from '../store/entry-record.js';
import type { Store } from '../store/store.js';
import { launch } from '../process/runner.js';
import { kvmProbeArgs } from './args.js';
import type { Arch } from '../arch/arch.js';
import { kvmProbeFacts, kvmProbeKey } from './kvm-probe-key.js';

const KvmVerdictSchema = z.object({ usable: z.boolean(), reason: z.string() });
export type KvmVerdict = z.infer<typeof KvmVerdictSchema>;

export const PROBE_READY_LINE = 'lab: initramfs up';

/**
 * /dev/kvm can exist and still hang a guest (nested virtualisation), so KVM is
 * used only after a tiny real boot reaches userspace under it. The verdict is
 * kept under the key of what it depends on (kvm-probe-key.ts): the same QEMU,
 * host kernel, /dev/kvm and boot give the same verdict; any change probes again.
 */
export async function probeKvm(
  store: Store,
  qemu: { binary: string; version: string },
  boot: { arch: Arch; kernel: string; initrd: string; firmwareDirs?: string[] },
  timeoutMs = 8000,
): Promise<KvmVerdict & { cached: boolean }> {
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { usable: false, reason: '/dev/kvm is missing or not accessible', cached: false };
  }
  const key = kvmProbeKey(await kvmProbeFacts(qemu, boot));
  if (store.has('probes', key)) {
    const verdict = await readStoreRecord(path.join(store.entry('probes', key), 'kvm.json'), KvmVerdictSchema);
    return { ...verdict, cached: true };
  }
  const verdict = await probeBoot(qemu.binary, boot, timeoutMs);
  await store.ensure('probes', key, async (dir) => {
    await writeFile(path.join(dir, 'kvm.json'), JSON.stringify(verdict));
  });
  return { ...verdict, cached: false };
}

async function probeBoot(
  binary: string,
  boot: { arch: Arch; kernel: string; initrd: string; firmwareDirs?: string[] },
  timeoutMs: number,
): Promise<KvmVerdict> {
  let ready = false;
  const probe = launch(
    { program: { path: binary }, args: kvmProbeArgs(boot), what: 'KVM probe boot' },
    {
      timeoutMs,
      killAfterMs: 0,
      onLine: (line) => {
        if (!ready && line.includes(PROBE_READY_LINE)) {
          ready = true;
          probe.signalGroup('SIGKILL');
        }
      },
    },
  );
  const r = await probe.result.catch((err: Error) => err);
  if (ready) return { usable: true, reason: 'a probe boot under KVM reached userspace' };
  if (r instanceof Error) return { usable: false, reason: r.message };
  if (r.timedOut)
    return { usable: false, reason: `a probe boot under KVM did not reach userspace within ${timeoutMs / 1000} s` };
  const first =
    r.stderr
      .toString()
      .split('\n')
      .find((l) => l.trim()) ?? 'QEMU exited';
  return { usable: false, reason: `KVM probe failed: ${first.trim()}` };
}
