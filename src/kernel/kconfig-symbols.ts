import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Unmet } from './config.js';

/** The symbols a Kconfig file defines ("config FOO", "menuconfig BAR") (pure). */
export function definedSymbols(kconfigText: string): string[] {
  return [...kconfigText.matchAll(/^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$/gm)].map((m) => m[1]!);
}

/** Is a tree-relative directory another architecture's (arch/x86 when building arm64)? (pure) */
export function otherArchDir(relDir: string, kernelArch: string): boolean {
  const [top, arch] = relDir.split(path.sep);
  return top === 'arch' && arch !== undefined && arch !== kernelArch;
}

/**
 * Every symbol the Kconfig files of the tree define for one architecture
 * (its own arch/ directory, none of the others'): what this kernel can be
 * asked for there. UNWINDER_FRAME_POINTER is x86's: on arm64 lab.config's
 * line for it is an option this kernel does not have, not an unmet one.
 */
export async function kconfigSymbols(tree: string, kernelArch: string): Promise<Set<string>> {
  const symbols = new Set<string>();
  const entries = await readdir(tree, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile() || !e.name.startsWith('Kconfig')) continue;
    if (otherArchDir(path.relative(tree, e.parentPath), kernelArch)) continue;
    for (const s of definedSymbols(await readFile(path.join(e.parentPath, e.name), 'utf8'))) symbols.add(s);
  }
  return symbols;
}

/**
 * A fragment written for several kernels may name an option one of them no
 * longer has (6.9 folded BASE_FULL into BASE_SMALL): that is not a failure to
 * take effect, and is reported apart (pure).
 */
export function splitUnmet(unmet: Unmet[], defined: Set<string>): { unmet: Unmet[]; notInKernel: string[] } {
  const notInKernel = unmet.filter(
    (u) => u.actual === undefined && !defined.has(u.requirement.name.replace(/^CONFIG_/, '')),
  );
  return {
    unmet: unmet.filter((u) => !notInKernel.includes(u)),
    notInKernel: notInKernel.map((u) => `${u.requirement.name} (${u.requirement.origin})`),
  };
}
