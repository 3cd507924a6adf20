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
 * (lab-exec, lab-write) and the fragmenter, compiled statically on the host
 * so one binary runs on busybox and on Debian alike.
 */
export const FRAGMENTER_FLAGS = ['-O2', '-static', '-Wall'];

/** Static, so one binary runs on busybox and on Debian alike. */
export function fragmenterCompileCommand(source: string, output: string, crossCompile = ''): Command {
  return {
    program: crossCompile ? { path: `/usr/bin/${crossCompile}gcc` } : 'gcc',
    args: [...FRAGMENTER_FLAGS, '-o', output, source],
    what: `compiling the fragmenter (${crossCompile}gcc -static; libc6-dev)`,
  };
}

export async function buildFragmenter(store: Store, tc: Toolchain, arch: Arch): Promise<{ file: string; key: string }> {
  const sourceDir = path.join(projectRoot(), 'image', 'fragmenter');
  const text = await readFile(path.join(sourceDir, 'fragmenter.c'));
  const target = kbuildTarget(tc, arch);
  const key = keyOf({
    fragmenter: sha256(text),
    compiler: await toolchainId(tc, store),
    flags: 'O2-static',
    // x86_64 keys name no architecture: every one made before arm64 was one
    arch: arch === 'x86_64' ? undefined : arch,
  });

  const { path: dir } = await store.ensure('tools', key, async (tmp) => {
    const compile = fragmenterCompileCommand(
      path.join(seenAt(tc, '/lab/in', sourceDir), 'fragmenter.c'),
      path.join(seenAt(tc, '/lab/out', tmp), 'fragmenter'),
      target.crossCompile,
    );
    await executeChecked(inside(tc, compile, { '/lab/in': sourceDir, '/lab/out': tmp }, { readOnly: ['/lab/in'] }));
  });
  return { file: path.join(dir, 'fragmenter'), key };
}

export async function guestTools(store: Store, tc: Toolchain, arch: Arch): Promise<Record<string, Buffer>> {
  const dir = path.join(projectRoot(), 'image', 'common');
  const tools: Record<string, Buffer> = {};
  for (const name of (await readdir(dir)).sort()) tools[name] = await readFile(path.join(dir, name));
  tools.fragmenter = await readFile((await buildFragmenter(store, tc, arch)).file);
  return tools;
}

/** Where the tools are in a guest of each rootfs kind. */
export function guestToolDir(kind: string): string {
  return kind === 'initramfs' ? '/lab' : '/usr/local/lib/lab';
}
