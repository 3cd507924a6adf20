import { constants } from 'node:fs';
import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { Store } from '../store/store.js';
import { keyOf } from '../util/hash.js';
import { killGroup } from '../process/runner.js';
import { BASE_KERNEL_ARGS } from './args.js';

export interface KvmVerdict {
  usable: boolean;
  reason: string;
}

export const PROBE_READY_LINE = 'lab: initramfs up';

/**
 * /dev/kvm can exist and still hang a guest (nested virtualisation), so KVM is
 * used only after a tiny real boot reaches userspace under it. The verdict is
 * kept per host boot and QEMU binary: the host will not change its mind before
 * it reboots.
 */
export async function probeKvm(
  store: Store,
  qemu: { binary: string; version: string },
  boot: { kernel: string; initrd: string; firmwareDirs?: string[] },
  timeoutMs = 8000,
): Promise<KvmVerdict & { cached: boolean }> {
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { usable: false, reason: '/dev/kvm is missing or not accessible', cached: false };
  }
  const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => 'unknown')).trim();
  const key = keyOf({ probe: 'kvm', bootId, qemu: qemu.binary, version: qemu.version });
  if (store.has('probes', key)) {
    const verdict = JSON.parse(await readFile(path.join(store.entry('probes', key), 'kvm.json'), 'utf8')) as KvmVerdict;
    return { ...verdict, cached: true };
  }
  const verdict = await probeBoot(qemu.binary, boot, timeoutMs);
  await store.ensure('probes', key, async (dir) => {
    await writeFile(path.join(dir, 'kvm.json'), JSON.stringify(verdict));
  });
  return { ...verdict, cached: false };
}

function probeBoot(binary: string, boot: { kernel: string; initrd: string; firmwareDirs?: string[] }, timeoutMs: number): Promise<KvmVerdict> {
  return new Promise((resolve) => {
    const child = spawn(
      binary,
      [
        ...(boot.firmwareDirs ?? []).flatMap((d) => ['-L', d]),
        '-nodefaults', '-no-user-config', '-display', 'none',
        '-machine', 'pc,accel=kvm', '-cpu', 'host', '-m', '256M',
        '-kernel', boot.kernel, '-initrd', boot.initrd,
        '-append', [...BASE_KERNEL_ARGS, 'quiet'].join(' '),
        '-serial', 'stdio', '-no-reboot',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let output = '';
    let stderr = '';
    let done = false;
    const finish = (verdict: KvmVerdict) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      killGroup(child.pid, 'SIGKILL');
      resolve(verdict);
    };
    const timer = setTimeout(
      () => finish({ usable: false, reason: `a probe boot under KVM did not reach userspace within ${timeoutMs / 1000} s` }),
      timeoutMs,
    );
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes(PROBE_READY_LINE)) finish({ usable: true, reason: 'a probe boot under KVM reached userspace' });
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => finish({ usable: false, reason: err.message }));
    child.on('close', () => {
      const first = stderr.split('\n').find((l) => l.trim()) ?? 'QEMU exited';
      finish({ usable: false, reason: `KVM probe failed: ${first.trim()}` });
    });
  });
}
