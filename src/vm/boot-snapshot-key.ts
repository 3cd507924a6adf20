import { qemuArgs, type QemuPlan } from '../qemu/args.js';
import { keyOf } from '../util/hash.js';

/**
 * Everything a booted guest's memory depends on: a snapshot saved from one
 * boot may be restored only into a VM with every one of these the same.
 * QEMU refuses some mismatches itself (another memory size), but not all:
 * another kernel of the same size would run on with the old one's memory.
 */
export interface BootShape {
  kernel: { key: string };
  rootfs: { kind: string; key: string };
  /** The binary's sha256: a rebuilt QEMU at the same path is another QEMU. */
  qemu: { version: string; sha256: string; firmwareDirs: string[] };
  /** QEMU's command line for this VM, less what differs between labs (machineOf). */
  machine: string[];
}

/** Bumped when what a snapshot entry holds, or how a guest is resumed, changes. */
export const BOOT_SNAPSHOT_FORMAT = 1;

/** Kernel command-line words that vary per lab and are set again after a restore. */
export function isPerLabWord(word: string): boolean {
  return word.startsWith('lab.ssh_key=');
}

/**
 * The VM's machine as its QEMU command line (pure): board, accelerator,
 * memory, CPUs, every device and the kernel command line, with this lab's
 * paths, ports and ssh key left out. A device lab adds in a later version is
 * then another machine, whose snapshots are its own.
 */
export function machineOf(plan: Omit<QemuPlan, 'incomingFd' | 'loadvm'>): string[] {
  const placeholder = (v: number | undefined) => (v === undefined ? undefined : 1);
  return qemuArgs({
    ...plan,
    kernel: 'KERNEL',
    initrd: plan.initrd && 'INITRD',
    gdbPort: 1,
    sshPort: placeholder(plan.sshPort),
    kgdbPort: placeholder(plan.kgdbPort),
    serialLog: 'SERIAL',
    consoleSocket: 'CONSOLE',
    agentSocket: 'AGENT',
    qmpSocket: 'QMP',
    pidFile: 'PID',
    disk: plan.disk && 'DISK',
    momentsDisk: plan.momentsDisk && 'MOMENTS',
    append: (plan.append ?? []).filter((w) => !isPerLabWord(w)),
  });
}

/** The store key of the snapshot of a boot of this shape (pure). */
export function bootSnapshotKey(shape: BootShape): string {
  return keyOf({ snapshot: 'boot', format: BOOT_SNAPSHOT_FORMAT, ...shape });
}

/** What a scenario's start moment depends on beyond the machine it is saved on. */
export interface SharedStartId {
  scenario: string;
  /** sha256 of the scenario's file: its settings, prepare commands and steps. */
  sha256: string;
  /** The moment's name in the scenario, and the steps done before it. */
  moment: string;
  after: number;
}

/** Bumped when how lab brings a guest to a scenario's start, or what the entry holds, changes. */
export const SHARED_START_FORMAT = 1;

/** The store key of a scenario's start moment saved on the machine of boot snapshot key bootKey (pure). */
export function sharedStartKey(bootKey: string, id: SharedStartId): string {
  return keyOf({ snapshot: 'start', format: SHARED_START_FORMAT, machine: bootKey, ...id });
}

export type StartPlan = { kind: 'restore' } | { kind: 'boot'; save: boolean; why?: string };

/**
 * Whether lab up restores the boot snapshot or boots (pure). A disk that keeps
 * an earlier session's files cannot be given a snapshot's memory (its page
 * cache and the filesystem's state would be the snapshot's, not the disk's),
 * so that guest boots, and says how to start from the snapshot instead.
 */
export function planStart(facts: {
  forceBoot: boolean;
  snapshotExists: boolean;
  /** The Debian overlay holds an earlier session's writes (kept without --fresh). */
  diskKept: boolean;
}): StartPlan {
  if (facts.forceBoot) return { kind: 'boot', save: !facts.snapshotExists };
  if (facts.diskKept) {
    // a snapshot saved now would hold this lab's files, and every lab shares it
    if (!facts.snapshotExists) return { kind: 'boot', save: false };
    return {
      kind: 'boot',
      save: false,
      why: 'the disk keeps your files from the last session (lab up --fresh starts from the boot snapshot)',
    };
  }
  if (facts.snapshotExists) return { kind: 'restore' };
  return { kind: 'boot', save: true };
}
