import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Unmet } from './config.js';

/** The symbols a Kconfig file defines ("config FOO", "menuconfig BAR") (pure). */
export function definedSymbols(kconfigText: string): string[] {
  return [...kconfigText.matchAll(/^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$/gm)].map((m) => m[1]!);
}

/** Every symbol the tree's Kconfig files define: what this kernel can be asked for. */
export async function kconfigSymbols(tree: string): Promise<Set<string>> {
  const symbols = new Set<string>();
  const entries = await readdir(tree, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile() || !e.name.startsWith('Kconfig')) continue;
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
