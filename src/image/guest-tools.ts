import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../config/paths.js';
import type { Store } from '../store/store.js';
import { keyOf, sha256 } from '../util/hash.js';
import { executeChecked } from '../process/runner.js';
import type { Command } from '../process/command.js';
import { inside, kbuildTarget, seenAt, toolchainId, type Toolchain } from '../toolchain/toolchain.js';
import type { Arch } from '../arch/arch.js';

/**
 * What lab puts into every rootfs beside the system: image/common's helpers
 * (lab-exec, lab-write, the agent) and GUEST_PROGRAMS (the fragmenter,
 * lab-resume), compiled statically on the host so one binary runs on busybox
 * and on Debian alike.
 */
export const GUEST_PROGRAM_FLAGS = ['-O2', '-static', '-Wall'];

/** The C programs lab compiles for the guest, by the name they have there. */
export const GUEST_PROGRAMS = {
  fragmenter: 'image/fragmenter/fragmenter.c',
  'lab-resume': 'image/resume/lab-resume.c',
} as const;
export type GuestProgram = keyof typeof GUEST_PROGRAMS;

/** Static, so one binary runs on busybox and on Debian alike. */
export function guestProgramCompileCommand(
  name: GuestProgram,
  source: string,
  output: string,
  crossCompile = '',
): Command {
  return {
    program: crossCompile ? { path: `/usr/bin/${crossCompile}gcc` } : 'gcc',
    args: [...GUEST_PROGRAM_FLAGS, '-o', output, source],
    what: `compiling ${name === 'fragmenter' ? 'the fragmenter' : name} (${crossCompile}gcc -static; libc6-dev)`,
  };
}

export function fragmenterCompileCommand(source: string, output: string, crossCompile = ''): Command {
  return guestProgramCompileCommand('fragmenter', source, output, crossCompile);
}

export async function buildGuestProgram(
  store: Store,
  tc: Toolchain,
  arch: Arch,
  name: GuestProgram,
): Promise<{ file: string; key: string }> {
  const source = path.join(projectRoot(), GUEST_PROGRAMS[name]);
  const sourceDir = path.dirname(source);
  const file = path.basename(source);
  const text = await readFile(source);
  const target = kbuildTarget(tc, arch);
  const key = keyOf({
    // the fragmenter's keys are those it had when it was the one program
    ...(name === 'fragmenter' ? { fragmenter: sha256(text) } : { program: name, source: sha256(text) }),
    compiler: await toolchainId(tc, store),
    flags: 'O2-static',
    // x86_64 keys name no architecture: every one made before arm64 was one
    arch: arch === 'x86_64' ? undefined : arch,
  });

  const { path: dir } = await store.ensure('tools', key, async (tmp) => {
    const compile = guestProgramCompileCommand(
      name,
      path.join(seenAt(tc, '/lab/in', sourceDir), file),
      path.join(seenAt(tc, '/lab/out', tmp), name),
      target.crossCompile,
    );
    await executeChecked(inside(tc, compile, { '/lab/in': sourceDir, '/lab/out': tmp }, { readOnly: ['/lab/in'] }));
  });
  return { file: path.join(dir, name), key };
}

export function buildFragmenter(store: Store, tc: Toolchain, arch: Arch): Promise<{ file: string; key: string }> {
  return buildGuestProgram(store, tc, arch, 'fragmenter');
}

export async function guestTools(store: Store, tc: Toolchain, arch: Arch): Promise<Record<string, Buffer>> {
  const dir = path.join(projectRoot(), 'image', 'common');
  const tools: Record<string, Buffer> = {};
  for (const name of (await readdir(dir)).sort()) tools[name] = await readFile(path.join(dir, name));
  for (const name of Object.keys(GUEST_PROGRAMS) as GuestProgram[])
    tools[name] = await readFile((await buildGuestProgram(store, tc, arch, name)).file);
  return tools;
}

/** Where the tools are in a guest of each rootfs kind. */
export function guestToolDir(kind: string): string {
  return kind === 'initramfs' ? '/lab' : '/usr/local/lib/lab';
}
