/**
 * Which compiler, binutils and libc a build runs with: the host's, or the
 * lab's build root (the same on every host). A step asks where its files are
 * seen (`seenAt`) and wraps its command (`inside`); both are pure, so a plan
 * stays data and the one process runner runs it either way.
 */
import type { ToolchainPin } from '../lock/lock.js';
import type { Command } from '../process/command.js';
import type { Store } from '../store/store.js';
import type { BuildRoot } from './build-root.js';
import { sandboxArgs, type RootBind } from './build-root-plan.js';
import { compilerVersion } from './compiler.js';
import { crossPrefix, type Arch, type BuildTarget } from '../arch/arch.js';

export const TOOLCHAIN_KINDS = ['root', 'host'] as const;
export type ToolchainKind = (typeof TOOLCHAIN_KINDS)[number];

export type Toolchain = { kind: 'host' } | { kind: 'root'; root: BuildRoot };

export const HOST_TOOLCHAIN: Toolchain = { kind: 'host' };

/** What a build key says of its toolchain: the root's key, or the host compiler's version line. */
export async function toolchainId(tc: Toolchain, store?: Store): Promise<string> {
  return tc.kind === 'root' ? `root:${tc.root.key}` : compilerVersion(store);
}

/** The compiler's version line, for records and lab.lock's compiler row. */
export async function compilerOf(tc: Toolchain, store?: Store): Promise<string> {
  return tc.kind === 'root' ? tc.root.compiler : compilerVersion(store);
}

export type Mount = '/lab/linux' | '/lab/build' | '/lab/in' | '/lab/out';

/** Host directories a step reads and writes, by the mount point the root shows them at. */
export type Places = Partial<Record<Mount, string>>;

/** Where a step's command sees a host directory: there on the host, at its mount point in the root. */
export function seenAt(tc: Toolchain, mount: Mount, host: string): string {
  return tc.kind === 'root' ? mount : host;
}

/**
 * The command as it runs under the toolchain: unchanged on the host; in the
 * root through bwrap, with the places bound (the kernel source read-only,
 * the rest writable) and nothing of the host's environment.
 */
export function inside(
  tc: Toolchain,
  command: Command,
  places: Places,
  o: { readOnly?: Mount[]; caps?: string[] } = {},
): Command {
  if (tc.kind === 'host') return command;
  const readOnly = o.readOnly ?? ['/lab/linux'];
  const binds: RootBind[] = Object.entries(places).map(([to, from]) => ({
    from: from,
    to,
    writable: !readOnly.some((m) => m === to),
  }));
  return {
    program: 'bwrap',
    args: sandboxArgs(command, { root: tc.root.tree, binds, asRoot: process.getuid?.() === 0, caps: o.caps }),
    what: `${command.what} (in the build root)`,
  };
}

/** What lab.lock records of the toolchain. */
export function toolchainPin(tc: Toolchain): ToolchainPin {
  if (tc.kind === 'host') return { kind: 'host' };
  return { kind: 'root', suite: tc.root.suite, key: tc.root.key, packages: tc.root.packages };
}

/** What kbuild is told to build for under this toolchain: the root's cross compiler, or the host's own one. */
export function kbuildTarget(tc: Toolchain, arch: Arch): BuildTarget {
  const crossCompile = tc.kind === 'root' ? tc.root.crossCompile : crossPrefix(arch);
  return crossCompile ? { arch, crossCompile } : { arch };
}
