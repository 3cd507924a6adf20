import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as z from 'zod';
import { LabError } from '../errors.js';
import type { Source } from '../config/profile.js';
import type { Progress } from '../progress/progress.js';
import { ensureDownload, ensureTarball } from '../fetch/source.js';
import type { Store } from '../store/store.js';
import { readStoreRecord } from '../store/entry-record.js';
import { keyOf, sha256 } from '../util/hash.js';
import { executeChecked } from '../process/runner.js';
import { compilerVersion } from '../toolchain/compiler.js';
import { qemuVersion } from './binary.js';
import {
  DEBIAN_PYTHON_DIR,
  EMPTY_BZIP2,
  edk2BlobNames,
  firmwarePath,
  loadRecipe,
  parseNinjaProgress,
  qemuBuildPlan,
  type QemuBuildPlan,
} from './recipe.js';

/** A QEMU lab can run: the system's, or one built from source into the store. */
export interface QemuInstall {
  binary: string;
  version: string;
  firmwareDirs: string[];
  built?: { key: string; recipe: string; tarballSha256: string; cached: boolean; placeholders: string[] };
}

/** The recipe's python build tools unpacked into their scratch tree, which must then hold dist-packages. */
async function unpackPythonTools(
  tools: NonNullable<QemuBuildPlan['pythonTools']>,
  version: string,
  options: { progress: Progress; signal?: AbortSignal },
): Promise<void> {
  await mkdir(tools.root);
  const stage = options.progress.stage(`unpack QEMU ${version} build tools`);
  for (const unpack of tools.unpack) await executeChecked(unpack, { signal: options.signal });
  stage.done();
  if (!existsSync(tools.sitePackages)) {
    const what = `the python .debs of QEMU recipe ${version} put nothing in /${DEBIAN_PYTHON_DIR}`;
    throw new LabError('DEB_INVALID', what, {
      hint: `give python3 module packages in qemu/${version}.json "python"`,
    });
  }
}

/** What a QEMU entry's build.json records that lab reads back. */
const BuiltQemuSchema = z.object({ placeholders: z.array(z.string()).default([]) });

export async function buildQemu(
  store: Store,
  request: { source: Source; recipe: string },
  options: { progress: Progress; signal?: AbortSignal; logDir: string; jobs?: number },
): Promise<QemuInstall> {
  const { recipe, text } = loadRecipe(request.recipe);
  const firmware = firmwarePath(recipe, existsSync);
  if (firmware.missing.length > 0) {
    throw new LabError(
      'FIRMWARE_MISSING',
      `${firmware.missing.join(', ')} is in none of ${recipe.firmwareDirs.join(', ')} ` +
        `(firmware for QEMU ${recipe.version} built from source)`,
      { hint: `apt-get install ${recipe.packages.run.join(' ')}` },
    );
  }
  const tarball = await ensureTarball(store, request.source, { ...options, what: 'QEMU source' });
  const pythonDebs: string[] = [];
  for (const deb of recipe.python)
    pythonDebs.push(await ensureDownload(store, deb, { ...options, what: `QEMU ${recipe.version} build tools` }));
  const compiler = await compilerVersion(store);
  const key = keyOf({ tarball: tarball.sha256, recipe: sha256(text), compiler });
  const entry = store.entry('qemu', key);
  let placeholders: string[] = [];
  // the build runs under the entry's lock: a second lab building this QEMU waits for the first
  const cached = await store.locked(`qemu/${key}`, async () => {
    if (store.has('qemu', key)) return true;
    await mkdir(options.logDir, { recursive: true });
    const logFile = path.join(options.logDir, `qemu-${recipe.version}-build.log`);
    const scratch = await store.scratch('qemubuild');
    try {
      const plan = qemuBuildPlan(recipe, {
        tarball: tarball.path,
        scratch,
        entry,
        jobs: options.jobs ?? os.availableParallelism(),
        pythonDebs,
      });
      await mkdir(plan.src);
      const extract = options.progress.stage(`extract ${path.basename(tarball.path)}`);
      await executeChecked(plan.extract, { signal: options.signal });
      extract.done();
      if (plan.edk2PlaceholdersIn) {
        const pcBios = plan.edk2PlaceholdersIn;
        const names = edk2BlobNames(await readFile(path.join(pcBios, 'meson.build'), 'utf8'));
        placeholders = names.filter((n) => !existsSync(path.join(pcBios, n)));
        for (const n of placeholders) await writeFile(path.join(pcBios, n), EMPTY_BZIP2);
      }
      if (plan.pythonTools) await unpackPythonTools(plan.pythonTools, recipe.version, options);
      await mkdir(plan.build);
      const configure = options.progress.stage(`QEMU ${recipe.version} configure`);
      await executeChecked(plan.configure, { logFile, signal: options.signal });
      configure.done();
      const stage = options.progress.stage(`QEMU ${recipe.version} build`);
      await executeChecked(plan.ninja, {
        logFile,
        signal: options.signal,
        onLine: (line) => {
          const p = parseNinjaProgress(line);
          if (p) stage.update({ done: p.done, total: p.total, unit: 'files' });
        },
      });
      stage.done();
      await store.ensure('qemu', key, async (dir) => {
        await mkdir(path.join(dir, 'bin'));
        for (const product of plan.products) {
          await copyFile(product.from, path.join(dir, product.to));
          await chmod(path.join(dir, product.to), 0o755);
        }
        await writeFile(
          path.join(dir, 'build.json'),
          JSON.stringify({ recipe: recipe.version, tarball: tarball.sha256, compiler, placeholders }, null, 2),
        );
      });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    return false;
  });
  if (cached) placeholders = (await readStoreRecord(path.join(entry, 'build.json'), BuiltQemuSchema)).placeholders;
  const binary = path.join(entry, 'bin', 'qemu-system-x86_64');
  return {
    binary,
    version: await qemuVersion(binary, store),
    firmwareDirs: firmware.dirs,
    built: { key, recipe: recipe.version, tarballSha256: tarball.sha256, cached, placeholders },
  };
}
