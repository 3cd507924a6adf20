import { existsSync } from 'node:fs';
import { ROOTFS_FILE } from './rootfs-kinds.js';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import { projectRoot } from '../config/paths.js';
import type { Store } from '../store/store.js';
import { keyOf, sha256 } from '../util/hash.js';
import { writeCpio, type CpioEntry } from './cpio.js';
import { elfMachine, elfNeedsInterpreter } from '../util/elf.js';
import type { Toolchain } from '../toolchain/toolchain.js';
import { archSpec, type Arch } from '../arch/arch.js';

export const DEFAULT_BUSYBOX = '/bin/busybox';

export interface InitramfsInputs {
  busybox: Buffer;
  init: Buffer;
  /** image/common's helpers (the agent among them) and the guest programs, by name: they go to /lab/ */
  tools: Record<string, Buffer>;
}

/** What the archive holds: busybox (its applets are linked at boot), the init, /dev/console, lab's tools. */
export function initramfsEntries(inputs: InitramfsInputs): CpioEntry[] {
  return [
    ...['bin', 'dev', 'proc', 'sys', 'tmp', 'root', 'lab'].map((name): CpioEntry => ({ kind: 'dir', name })),
    { kind: 'char', name: 'dev/console', major: 5, minor: 1 },
    { kind: 'file', name: 'bin/busybox', data: inputs.busybox, mode: 0o755 },
    { kind: 'symlink', name: 'bin/sh', target: 'busybox' },
    { kind: 'file', name: 'init', data: inputs.init, mode: 0o755 },
    ...Object.entries(inputs.tools)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, data]): CpioEntry => ({ kind: 'file', name: `lab/${name}`, data, mode: 0o755 })),
  ];
}

export async function readInitramfsInputs(
  tools: Record<string, Buffer>,
  busyboxPath = process.env.LAB_BUSYBOX ?? DEFAULT_BUSYBOX,
  arch: Arch = 'x86_64',
): Promise<InitramfsInputs> {
  if (!existsSync(busyboxPath)) {
    throw new LabError('TOOL_MISSING', `${busyboxPath} is missing (the initramfs is built around it)`, {
      hint: 'apt-get install busybox-static',
    });
  }
  const busybox = await readFile(busyboxPath);
  if (elfNeedsInterpreter(busybox)) {
    throw new LabError('BUSYBOX_DYNAMIC', `${busyboxPath} is dynamically linked and cannot run alone in an initramfs`, {
      hint: 'apt-get install busybox-static',
    });
  }
  const want = archSpec(arch).machine;
  if (elfMachine(busybox) !== want) {
    throw new LabError('BUSYBOX_ARCH', `${busyboxPath} is for ${elfMachine(busybox)}, not the ${want} guest`, {
      hint: `build in lab's build root (--toolchain root): it has busybox-static:${archSpec(arch).debian}`,
    });
  }
  const dir = path.join(projectRoot(), 'image', 'initramfs');
  return {
    busybox,
    init: await readFile(path.join(dir, 'init')),
    tools,
  };
}

export function initramfsKey(inputs: InitramfsInputs): string {
  return keyOf({
    kind: 'initramfs',
    busybox: sha256(inputs.busybox),
    init: sha256(inputs.init),
    tools: Object.fromEntries(Object.entries(inputs.tools).map(([n, d]) => [n, sha256(d)])),
  });
}

/** The busybox the initramfs is built around: the build root's, or the host's (LAB_BUSYBOX may name another). */
export function busyboxOf(tc: Toolchain): string {
  if (tc.kind === 'root') return path.join(tc.root.tree, 'usr', 'bin', 'busybox');
  return process.env.LAB_BUSYBOX ?? DEFAULT_BUSYBOX;
}

export async function buildInitramfs(
  store: Store,
  tools: Record<string, Buffer>,
  tc: Toolchain,
  arch: Arch,
): Promise<{ key: string; file: string; cached: boolean }> {
  const inputs = await readInitramfsInputs(tools, busyboxOf(tc), arch);
  const key = initramfsKey(inputs);
  const { path: dir, hit } = await store.ensure('rootfs', key, async (tmp) => {
    await writeFile(path.join(tmp, ROOTFS_FILE.initramfs), writeCpio(initramfsEntries(inputs)));
  });
  return { key, file: path.join(dir, ROOTFS_FILE.initramfs), cached: hit };
}
