import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import { keyOf } from '../util/hash.js';

/**
 * Everything a KVM probe's verdict depends on. A verdict is kept under the
 * key of these facts, so a change to any of them (a new QEMU binary at the
 * same path, another host kernel, /dev/kvm made again when the kvm module is
 * reloaded, a reboot) probes again instead of
 * repeating an old failure.
 */
export interface KvmProbeFacts {
  bootId: string;
  /** uname -r and -v */
  hostKernel: string;
  qemu: { binary: string; version: string; identity: string };
  /** /dev/kvm: which node it is (made again when the kvm module is loaded again) */
  kvm: string;
  boot: { kernel: string; initrd: string; firmwareDirs: string[] };
}

/** The store key of a probe's verdict (pure). */
export function kvmProbeKey(facts: KvmProbeFacts): string {
  return keyOf({ probe: 'kvm', v: 2, ...facts });
}

/** A file's identity: which file it is and whether it changed since (device, inode, size, times). */
export async function fileIdentity(file: string): Promise<string> {
  const st = await stat(file).catch(() => undefined);
  if (!st) return 'missing';
  return [st.dev, st.ino, st.rdev, st.mode, st.uid, st.gid, st.size, st.mtimeMs, st.ctimeMs].join(':');
}

/**
 * A device node's identity: its device number and inode, not its times, which
 * may move as it is used (access() already settles who may open it).
 */
export async function deviceIdentity(file: string): Promise<string> {
  const st = await stat(file).catch(() => undefined);
  return st ? [st.dev, st.ino, st.rdev].join(':') : 'missing';
}

/** The facts of this host, now. */
export async function kvmProbeFacts(
  qemu: { binary: string; version: string },
  boot: { kernel: string; initrd: string; firmwareDirs?: string[] },
): Promise<KvmProbeFacts> {
  const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => 'unknown')).trim();
  return {
    bootId,
    hostKernel: `${os.release()} ${os.version()}`,
    qemu: { ...qemu, identity: await fileIdentity(qemu.binary) },
    kvm: await deviceIdentity('/dev/kvm'),
    boot: { kernel: boot.kernel, initrd: boot.initrd, firmwareDirs: boot.firmwareDirs ?? [] },
  };
}
