import { readdirSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { LabError } from '../errors.js';
import { projectRoot } from '../config/paths.js';
import { fetchUrl, sha256Hex } from '../config/profile.js';
import type { Command } from '../process/command.js';
import { debExtractCommand, extractCommand } from '../fetch/extract.js';
import { readCheckedTextSync } from '../util/checked-file.js';
import { parseCheckedJson } from '../util/checked-json.js';

/**
 * A Debian package of pure-python build tools (Architecture: all, so one file serves every machine),
 * fetched by URL from the archive's pool and pinned by sha256, as a kernel source .deb is.
 */
export const PythonDebSchema = z.strictObject({
  url: fetchUrl.refine((u) => u.endsWith('_all.deb'), 'the URL of an Architecture: all package, ..._all.deb'),
  sha256: sha256Hex,
  mirrors: z.array(fetchUrl).default([]),
});

/** Where a Debian package of python modules puts them, for every python3 version. */
export const DEBIAN_PYTHON_DIR = 'usr/lib/python3/dist-packages';

/** How to build one QEMU version: configure flags, firmware, and the Debian packages it needs. */
export const RecipeSchema = z.strictObject({
  version: z.string().min(1),
  description: z.string().default(''),
  configure: z.array(z.string().startsWith('--')),
  /** The dfsg tarball lacks the edk2 blobs its pc-bios/meson.build lists: empty bzip2 stand-ins let it configure. */
  edk2Placeholders: z.boolean().default(false),
  /**
   * Build tools configure's venv and ninja import, brought by the recipe instead of the host's
   * python3 (a tarball without python/wheels needs a meson the host may not have): each .deb is
   * unpacked into one tree whose dist-packages goes first on PYTHONPATH.
   */
  python: z.array(PythonDebSchema).default([]),
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

/** The source tree's configure, run in the build directory (env: added to lab's own). */
export function configureCommand(
  recipe: Recipe,
  sourceTree: string,
  buildDir: string,
  prefix: string,
  env?: Record<string, string>,
): Command {
  return {
    program: { path: path.join(sourceTree, 'configure') },
    args: configureArgs(recipe, prefix),
    cwd: buildDir,
    ...(env ? { env } : {}),
    what: `QEMU ${recipe.version} configure`,
  };
}

export const QEMU_TARGETS = ['qemu-system-x86_64', 'qemu-img'];

export function ninjaCommand(recipe: Recipe, buildDir: string, jobs: number, env?: Record<string, string>): Command {
  return {
    program: 'ninja',
    args: ['-j', String(jobs), ...QEMU_TARGETS],
    cwd: buildDir,
    ...(env ? { env } : {}),
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
  /**
   * Set when the recipe brings its own python build tools: its .debs unpacked into root, and
   * root's dist-packages, which configure and ninja put first on PYTHONPATH. configure's venv
   * sees the host's python3 packages and PYTHONPATH's; ninja runs the venv's meson (43 of
   * build.ninja's commands are "pyvenv/bin/meson --internal ..."), which must import the same
   * meson configure ran, not an older one of the host's.
   */
  pythonTools?: { root: string; unpack: Command[]; sitePackages: string };
  configure: Command;
  ninja: Command;
  /** Built files copied into the store entry: build-directory file → path inside the entry. */
  products: { from: string; to: string }[];
  /** The -L directories the built QEMU boots with. */
  firmwareDirs: string[];
}

/**
 * The build plan of one recipe and tarball (pure): scratch is a fresh directory, entry the store
 * entry built into, pythonDebs the fetched files of recipe.python, in its order.
 */
export function qemuBuildPlan(
  recipe: Recipe,
  where: { tarball: string; scratch: string; entry: string; jobs: number; pythonDebs?: string[] },
): QemuBuildPlan {
  const src = path.join(where.scratch, 'src');
  const build = path.join(src, 'build');
  const debs = where.pythonDebs ?? [];
  if (debs.length !== recipe.python.length) {
    throw new Error(`QEMU ${recipe.version}: ${recipe.python.length} python .debs in the recipe, ${debs.length} given`);
  }
  const root = path.join(where.scratch, 'python');
  const pythonTools =
    debs.length > 0
      ? { root, unpack: debs.map((d) => debExtractCommand(d, root)), sitePackages: path.join(root, DEBIAN_PYTHON_DIR) }
      : undefined;
  const env = pythonTools ? { PYTHONPATH: pythonTools.sitePackages } : undefined;
  return {
    src,
    build,
    extract: extractCommand(where.tarball, src, 'extracting QEMU'),
    edk2PlaceholdersIn: recipe.edk2Placeholders ? path.join(src, 'pc-bios') : undefined,
    pythonTools,
    configure: configureCommand(recipe, src, build, path.join(where.entry, 'prefix'), env),
    ninja: ninjaCommand(recipe, build, where.jobs, env),
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
