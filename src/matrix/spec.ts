import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { ARCHES } from '../arch/arch.js';
import { LabError } from '../errors.js';
import { projectRoot } from '../config/paths.js';
import { listScenarios, loadScenario } from '../scenario/schema.js';
import { parseCheckedJson } from '../util/checked-json.js';

export const MEMORY_SIZE = /^(\d+)([MG])$/;

/** Whether the shipped scenario NAME names a start moment (its "start"). */
function scenarioHasStartMoment(name: string): boolean {
  return loadScenario(name).start !== undefined;
}

/** A guest memory size as the spec writes it (2G, 1536M) in MiB (pure); the schema admits no other form. */
export function mebibytes(size: string): number {
  const m = MEMORY_SIZE.exec(size);
  if (!m) throw new Error(`not a memory size: ${size}`);
  return Number(m[1]) * (m[2] === 'G' ? 1024 : 1);
}

/**
 * What a guest may be given: enough to boot the Debian image, and no
 * more than QEMU's -m takes on any host lab runs on.
 */
export const GUEST_MEMORY_MIB = { min: 128, max: 1024 * 1024 } as const;

/** Why a memory size is not one a guest can have, or undefined (pure). */
export function memoryProblem(size: string): string | undefined {
  if (!MEMORY_SIZE.test(size)) return 'a size such as 2G or 1536M';
  const mib = mebibytes(size);
  const { min, max } = GUEST_MEMORY_MIB;
  if (mib < min || mib > max) return `a guest has ${min}M to ${max / 1024}G of memory`;
  return undefined;
}

export const MemorySizeSchema = z.string().superRefine((size, ctx) => {
  const problem = memoryProblem(size);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const NAME = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes');

export const KernelAxisSchema = z
  .strictObject({
    /** The cell's name for this kernel: in job ids and the summary. */
    name: NAME,
    profile: z.string().min(1).optional(),
    /** A lab.json, relative to the spec: its profile, kernel and rootfs. */
    lab: z.string().min(1).optional(),
    /** Fragments merged after the profile's: a name in kernel-configs/, or a file relative to the spec. */
    fragments: z.array(z.string().min(1)).default([]),
  })
  .refine((k) => !(k.profile && k.lab), { message: 'a kernel names a profile or a lab.json, not both' });

export const MatrixSpecSchema = z.strictObject({
  $schema: z.string().optional(),
  name: NAME,
  about: z.string().default(''),
  kernels: z.array(KernelAxisSchema).min(1),
  scenarios: z.array(z.string().min(1)).min(1),
  /**
   * The arch axis: each kernel built and run for each architecture named.
   * Without it, a kernel is built for its profile's (or lab.json's) architecture, else the host's.
   */
  arch: z.array(z.enum(ARCHES)).min(1).optional(),
  repeat: z.number().int().min(1).max(100).default(1),
  vm: z
    .strictObject({
      memory: MemorySizeSchema.default('2G'),
      cpus: z.number().int().min(1).max(64).default(2),
    })
    .default({ memory: '2G', cpus: 2 }),
  /** Every repeat of a scenario from its start moment, saved once in the store (as lab run --same-start). */
  sameStart: z.boolean().default(false),
  /** Seconds one job may take, boot to verdict, before it is stopped and reported. */
  timeout: z.number().int().min(60).max(86_400).default(1800),
});
export type MatrixSpec = z.infer<typeof MatrixSpecSchema>;
export type KernelAxis = z.infer<typeof KernelAxisSchema>;

const ALLOWED_KEYS: Record<string, string[]> = {
  '': Object.keys(MatrixSpecSchema.shape),
  kernels: ['name', 'profile', 'lab', 'fragments'],
  vm: ['memory', 'cpus'],
};

/** A matrix spec, checked: a bad one names the file, the key and what is allowed (pure but for the scenario list). */
export function parseMatrixSpec(
  text: string,
  file: string,
  scenarioNames = listScenarios().map((s) => s.name),
  hasStartMoment = scenarioHasStartMoment,
): MatrixSpec {
  const spec = parseCheckedJson(text, file, MatrixSpecSchema, 'MATRIX_INVALID', {
    allowedKeysAt: (at) => ALLOWED_KEYS[String(at.find((p) => typeof p === 'string') ?? '')],
  });
  const dup = (names: string[]) => names.find((n, i) => names.indexOf(n) !== i);
  const twice = dup(spec.kernels.map((k) => k.name));
  if (twice)
    throw new LabError('MATRIX_INVALID', `${file}: kernels: the name "${twice}" is used twice`, {
      hint: 'give each kernel its own name',
    });
  spec.scenarios.forEach((s, i) => {
    if (!scenarioNames.includes(s)) {
      throw new LabError(
        'MATRIX_INVALID',
        `${file}: scenarios.${i}: no scenario named "${s}" (allowed: ${scenarioNames.join(', ')})`,
      );
    }
  });
  checkSameStart(spec, file, scenarioNames, hasStartMoment);
  const archTwice = dup(spec.arch ?? []);
  if (archTwice) throw new LabError('MATRIX_INVALID', `${file}: arch: "${archTwice}" is listed twice`);
  const again = dup(spec.scenarios);
  if (again)
    throw new LabError('MATRIX_INVALID', `${file}: scenarios: "${again}" is listed twice`, {
      hint: 'use repeat for more runs of one scenario',
    });
  return spec;
}

/** With sameStart, each scenario must name the start moment its repeats start from (pure but for the scenarios). */
function checkSameStart(
  spec: MatrixSpec,
  where: string,
  scenarioNames: string[],
  hasStartMoment: (scenario: string) => boolean,
): void {
  const startless = spec.sameStart ? spec.scenarios.find((s) => !hasStartMoment(s)) : undefined;
  if (startless)
    throw new LabError('MATRIX_INVALID', `${where}: sameStart: scenario "${startless}" names no start moment`, {
      hint: `drop sameStart, or keep to scenarios with one: ${scenarioNames.filter(hasStartMoment).join(', ')}`,
    });
}

/** The spec file, checked; sameStart (lab matrix --same-start) turns the spec's sameStart on. */
export function loadMatrixSpec(file: string, overrides: { sameStart?: boolean } = {}): MatrixSpec {
  if (!existsSync(file)) throw new LabError('MATRIX_UNKNOWN', `${file} does not exist`);
  const spec = parseMatrixSpec(readFileSync(file, 'utf8'), file);
  if (!overrides.sameStart || spec.sameStart) return spec;
  const same = { ...spec, sameStart: true };
  const names = listScenarios().map((s) => s.name);
  checkSameStart(same, `${file} with --same-start`, names, scenarioHasStartMoment);
  return same;
}

/**
 * A fragment named in a spec, as a file: kernel-configs/NAME, or a
 * path relative to the spec (pure but for existence).
 */
export function fragmentFile(fragment: string, specFile: string, exists: (f: string) => boolean = existsSync): string {
  const candidates = path.isAbsolute(fragment)
    ? [fragment]
    : [path.resolve(path.dirname(specFile), fragment), path.join(projectRoot(), 'kernel-configs', fragment)];
  const found = candidates.find(exists);
  if (!found)
    throw new LabError('FRAGMENT_MISSING', `config fragment ${fragment} (named in ${specFile}) does not exist`, {
      hint: `looked at ${candidates.join(' and ')}`,
    });
  return found;
}
