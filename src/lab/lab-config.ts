import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { LabFile } from '../config/lab-file.js';
import { selectKernel, type KernelSelection } from '../config/resolve.js';
import { configureKernel } from '../kernel/configure.js';
import type { KernelBuild } from '../kernel/kernel.js';
import { configChanges, parseConfig } from '../kernel/config.js';
import type { LabLock } from '../lock/lock.js';
import { sha256 } from '../util/hash.js';
import { pathKind, type BuildInputs } from './build-inputs.js';
import type { BuildRecord, LabConfig } from './build-record.js';
import type { LabContext } from './context.js';

const sameSelection = (a: KernelSelection, b: KernelSelection) =>
  JSON.stringify([a.source, a.base, a.fragments, a.arch]) === JSON.stringify([b.source, b.base, b.fragments, b.arch]);

/**
 * The .config lab.json's own kernel makes, on this build's source: what lab
 * pack compares a student's against. The build's own config when no flag
 * changed the kernel; else configured beside it (no make of the kernel).
 * None without a lab.json, or for a kernel source of the student's own.
 */
export async function labConfigOf(
  ctx: LabContext,
  inputs: BuildInputs,
  kernel: KernelBuild,
  logFile: string,
): Promise<LabConfig | undefined> {
  if (!inputs.labFile || inputs.selection.explicitSource) return undefined;
  const lab = inputs.labFile.file;
  const own = selectKernel(inputs.labFile.profile, {}, pathKind);
  if (sameSelection(own, inputs.selection)) return { lab, config: kernel.config, configSha256: kernel.configSha256 };
  const configured = await configureKernel(
    ctx.store,
    {
      source: inputs.source,
      base: own.base,
      fragments: own.fragments,
      toolchain: inputs.toolchain,
      arch: own.arch,
    },
    { progress: ctx.progress, signal: ctx.signal, logFile },
  );
  const config = path.join(ctx.store.entry('configs', configured.configKey), 'config');
  return { lab, config, configSha256: sha256(configured.config) };
}

/**
 * The student's .config against the lab's, one "NAME: lab -> student" line
 * per option, from what the build recorded (or lab.lock's pin of the same
 * config); null when neither says what the lab's config is.
 */
export async function recordedConfigDiff(
  build: BuildRecord,
  labFile: LabFile,
  pinned: LabLock | undefined,
): Promise<string[] | null> {
  const own = build.kernel.configSha256;
  const lab = build.labConfig;
  if (lab?.lab === labFile.file && lab.configSha256 === own) return [];
  if (lab?.lab === labFile.file && existsSync(lab.config) && existsSync(build.kernel.config))
    return configChanges(
      parseConfig(await readFile(lab.config, 'utf8')),
      parseConfig(await readFile(build.kernel.config, 'utf8')),
    );
  return pinned?.inputs.kernelConfig === own ? [] : null;
}
