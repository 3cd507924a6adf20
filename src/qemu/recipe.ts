import { readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { LabError } from '../errors.js';
import { projectRoot } from '../config/paths.js';
import type { Command } from '../process/command.js';
import { extractCommand } from '../fetch/extract.js';
import { readCheckedTextSync } from '../util/checked-file.js';
import { parseCheckedJson } from '../util/checked-json.js';

/** How to build one QEMU version: configure flags, firmware, and the Debian packages it needs. */
export const RecipeSchema = z.strictObject({
  version: z.string().min(1),
  description: z.string().default(''),
  configure: z.array(z.string().startsWith('--')),
  /** The dfsg tarball lacks the edk2 blobs its pc-bios/meson.build lists: empty bzip2 stand-ins let it configure. */
  edk2Placeholders: z.boolean().default(false),
  /**
   * Where the built QEMU looks for firmware, with -L (a tarball without blobs needs Debian's):
   * the directories that exist, in this order. Debian 12's ipxe-qemu has its ROMs in
   * /usr/lib/ipxe/qemu, Debian 13's in /usr/share/qemu.
   */
  firmwareDirs: z.array(z.string()).default([]),
  /** Files one of firmwareDirs must hold for a pc guest with virtio-net to boot. */
  firmwareFiles: z.array(z.string().regex(/^[^/]+$/, 'a file name, not a path')).default([]),
  packages: z.strictObject({ build: z.array(z.string()), run: z.array(z.string()) }),
});
export type Recipe = z.infer<typeof RecipeSchema>;

export function recipesDir(): string {
  return path.join(projectRoot(), 'qemu');
}

export function loadRecipe(version: string, dir = recipesDir()): { recipe: Recipe; text: string } {
  const known = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5));
  if (!known.includes(version)) {
    throw new LabError('RECIPE_UNKNOWN', `no QEMU recipe for version ${version}`, {
      hint: `add qemu/${version}.json, or use one of ${known.sort().join(', ')}`,
    });
  }
  const file = path.join(dir, `${version}.json`);
  const text = readCheckedTextSync(file, { code: 'RECIPE_INVALID', maxBytes: 1024 * 1024, links: 'follow' });
  return { recipe: parseCheckedJson(text, file, RecipeSchema, 'RECIPE_INVALID', { hint: 'fix the recipe' }), text };
}

/** ./configure's arguments for an out-of-tree build (pure). */
export function configureArgs(recipe: Recipe, prefix: string): string[] {
  return [...recipe.configure, `--prefix=${prefix}`];
}

/** The source tree's configure, run in the build directory. */
export function configureCommand(recipe: Recipe, sourceTree: string, buildDir: string, prefix: string): Command {
  return {
    program: { path: path.join(sourceTree, 'configure') },
    args: configureArgs(recipe, prefix),
    cwd: buildDir,
    what: `QEMU ${recipe.version} configure`,
  };
}

export const QEMU_TARGETS = ['qemu-system-x86_64', 'qemu-img'];

export function ninjaCommand(recipe: Recipe, buildDir: string, jobs: number): Command {
  return {
    program: 'ninja',
    args: ['-j', String(jobs), ...QEMU_TARGETS],
    cwd: buildDir,
    what: `QEMU ${recipe.version} build (ninja)`,
  };
}

/**
 * Every step of building one QEMU from its tarball, as data: what buildQemu
 * runs, in order. Two recipes built from two tarballs can be compared step by
 * step without running anything.
 */
export interface QemuBuildPlan {
  /** The unpacked tarball (configure's source tree). */
  src: string;
  /** The out-of-tree build directory, inside src. */
  build: string;
  /** tar unpacks the tarball's top directory into src. */
  extract: Command;
  /** Set when the recipe asks for empty edk2 stand-ins: the directory (src's pc-bios) they are written to. */
  edk2PlaceholdersIn?: string;
  configure: Command;
  ninja: Command;
  /** Built files copied into the store entry: build-directory file → path inside the entry. */
  products: { from: string; to: string }[];
  /** The -L directories the built QEMU boots with. */
  firmwareDirs: string[];
}

/** The build plan of one recipe and tarball (pure): scratch is a fresh directory, entry the store entry built into. */
export function qemuBuildPlan(
  recipe: Recipe,
  where: { tarball: string; scratch: string; entry: string; jobs: number },
): QemuBuildPlan {
  const src = path.join(where.scratch, 'src');
  const build = path.join(src, 'build');
  return {
    src,
    build,
    extract: extractCommand(where.tarball, src, 'extracting QEMU'),
    edk2PlaceholdersIn: recipe.edk2Placeholders ? path.join(src, 'pc-bios') : undefined,
    configure: configureCommand(recipe, src, build, path.join(where.entry, 'prefix')),
    ninja: ninjaCommand(recipe, build, where.jobs),
    products: QEMU_TARGETS.map((t) => ({ from: path.join(build, t), to: path.join('bin', t) })),
    firmwareDirs: recipe.firmwareDirs,
  };
}

/**
 * The -L directories of a recipe on this machine (pure; exists probes the disk): the ones that
 * exist, and the firmware files none of them holds.
 */
export function firmwarePath(
  recipe: Pick<Recipe, 'firmwareDirs' | 'firmwareFiles'>,
  exists: (file: string) => boolean,
): { dirs: string[]; missing: string[] } {
  const dirs = recipe.firmwareDirs.filter((d) => exists(d));
  const missing = recipe.firmwareFiles.filter((f) => !dirs.some((d) => exists(path.join(d, f))));
  return { dirs, missing };
}

/** The edk2 blob names listed in pc-bios/meson.build's fds = [...] (pure). */
export function edk2BlobNames(mesonBuild: string): string[] {
  const block = /fds\s*=\s*\[([\s\S]*?)\]/.exec(mesonBuild);
  if (!block) return [];
  return [...block[1]!.matchAll(/'([^']+\.fd)'/g)].map((m) => `${m[1]}.bz2`);
}

/** A complete, empty bzip2 stream: decompresses to nothing. */
export const EMPTY_BZIP2 = Buffer.from('425a683917724538509000000000', 'hex');

/** The QEMU command-line words that point a built QEMU at its firmware. */
export function firmwareArgs(dirs: string[]): string[] {
  return dirs.flatMap((d) => ['-L', d]);
}

/** "[123/2345] Compiling C object ..." → {done, total}. */
export function parseNinjaProgress(line: string): { done: number; total: number } | undefined {
  const m = /^\[(\d+)\/(\d+)\]/.exec(line);
  return m ? { done: Number(m[1]), total: Number(m[2]) } : undefined;
}
