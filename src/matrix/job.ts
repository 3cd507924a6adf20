import path from 'node:path';
import * as z from 'zod';
import { ARCHES, rootfsFor, type Arch } from '../arch/arch.js';
import { LabError } from '../errors.js';
import { parseCheckedJson } from '../util/checked-json.js';
import { JobIdSchema } from './records.js';
import { MemorySizeSchema, type MatrixSpec } from './spec.js';

export const JOB_VERSION = 1;

const SHA256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256');

/**
 * One cell of a matrix and one repeat of it: everything `lab run --spec`
 * needs, every input pinned by hash (as lab.lock does), so the job runs
 * alone, here or on a cluster node, and refuses to run anything else.
 */
export const JobSchema = z.strictObject({
  job: z.literal(JOB_VERSION),
  matrix: z.string(),
  id: JobIdSchema,
  cell: z.string(),
  kernel: z.string(),
  scenario: z.string(),
  repeat: z.number().int().min(1),
  of: z.number().int().min(1),
  build: z.strictObject({
    profile: z.string().optional(),
    lab: z.string().optional(),
    extraFragments: z.array(z.string()),
    /** The matrix's arch axis; absent, the profile's architecture or the host's. */
    arch: z.enum(ARCHES).optional(),
    /** The Debian image, or where the architecture has none yet, its initramfs. */
    rootfs: z.enum(['debian', 'initramfs']),
  }),
  vm: z.strictObject({
    memory: MemorySizeSchema,
    cpus: z.number().int().min(1),
  }),
  timeout: z.number().int().min(1),
  /** Every repeat from the scenario's start moment, kept in the store (lab matrix --same-start). */
  sameStart: z.boolean().optional(),
  pins: z.strictObject({
    /** sha256 of each extra fragment, of the lab.json, and of the scenario file. */
    files: z.record(
      z.string().refine((f) => path.isAbsolute(f), 'an absolute path'),
      SHA256,
    ),
    kernelKey: z.string(),
    rootfsKey: z.string(),
    qemu: z.string(),
  }),
});
export type Job = z.infer<typeof JobSchema>;
export type UnpinnedJob = Omit<Job, 'pins'>;

/** What building one kernel of the matrix pinned. */
export type KernelPins = Omit<Job['pins'], 'files'>;

export interface KernelPlan {
  name: string;
  build: Job['build'];
}

/** The id of a cell's repeat: kernel.scenario.rN (pure). */
export function jobId(kernel: string, scenario: string, repeat: number): string {
  return `${kernel}.${scenario}.r${repeat}`;
}

/**
 * A kernel of the spec built for each architecture of its arch axis (pure):
 * named NAME-ARCH, run on the Debian image where lab builds one for ARCH.
 * Without the axis, one kernel named as the spec names it.
 */
function kernelPlans(
  k: MatrixSpec['kernels'][number],
  arches: Arch[] | undefined,
  build: Omit<Job['build'], 'rootfs'>,
): KernelPlan[] {
  if (!arches) return [{ name: k.name, build: { ...build, rootfs: 'debian' } }];
  return arches.map((arch) => ({
    name: `${k.name}-${arch}`,
    build: { ...build, arch, rootfs: rootfsFor(arch, 'debian', false) },
  }));
}

/**
 * The matrix as kernels to build and jobs to run (pure): one job per kernel
 * (and architecture), scenario and repeat, in that order; fragmentFile turns
 * a fragment named in the spec into its file, labFile a lab.json named in the spec.
 */
export function expandMatrix(
  spec: MatrixSpec,
  files: { fragment: (name: string) => string; lab: (name: string) => string },
): { kernels: KernelPlan[]; jobs: UnpinnedJob[] } {
  const kernels = spec.kernels.flatMap((k) =>
    kernelPlans(k, spec.arch, {
      ...(k.lab ? { lab: files.lab(k.lab) } : { profile: k.profile ?? 'debian' }),
      extraFragments: k.fragments.map(files.fragment),
    }),
  );
  const jobs: UnpinnedJob[] = [];
  for (const k of kernels) {
    for (const scenario of spec.scenarios) {
      for (let r = 1; r <= spec.repeat; r++) {
        jobs.push({
          job: JOB_VERSION,
          matrix: spec.name,
          id: jobId(k.name, scenario, r),
          cell: `${k.name}.${scenario}`,
          kernel: k.name,
          scenario,
          repeat: r,
          of: spec.repeat,
          build: k.build,
          vm: spec.vm,
          timeout: spec.timeout,
          ...(spec.sameStart ? { sameStart: true } : {}),
        });
      }
    }
  }
  return { kernels, jobs };
}

/** The files a kernel's build reads beyond the profile: its extra fragments and lab.json (pure). */
export function pinnedFiles(build: Job['build']): string[] {
  return [...build.extraFragments, ...(build.lab ? [build.lab] : [])];
}

export function parseJob(text: string, file: string): Job {
  const job = parseCheckedJson(text, file, JobSchema, 'JOB_INVALID');
  const unpinned = unpinnedFiles(job);
  if (unpinned.length)
    throw new LabError(
      'JOB_INVALID',
      `${file}: pins.files: ${unpinned.join(', ')} is read by the build but not pinned`,
    );
  return job;
}

/** The files a job's build reads that its pins leave out (pure): a job runs nothing it has not pinned. */
export function unpinnedFiles(job: Job): string[] {
  return pinnedFiles(job.build).filter((f) => !(f in job.pins.files));
}

/** Each pinned file whose bytes here are not the pinned ones, in words (pure): what can be checked before building. */
export function fileMismatches(pinned: Record<string, string>, here: Record<string, string | undefined>): string[] {
  return Object.entries(pinned).flatMap(([file, sha]) => {
    const now = here[file];
    return now === sha
      ? []
      : [`${file}: ${now === undefined ? 'missing' : `sha256 ${now.slice(0, 12)}`}, pinned ${sha.slice(0, 12)}`];
  });
}

/** Each pin the machine did not reproduce, in words (pure): empty when the job's inputs are the pinned ones. */
export function pinMismatches(
  pins: Job['pins'],
  here: { files: Record<string, string | undefined> } & KernelPins,
): string[] {
  const out = fileMismatches(pins.files, here.files);
  if (here.kernelKey !== pins.kernelKey) out.push(`kernel ${here.kernelKey}, pinned ${pins.kernelKey}`);
  if (here.rootfsKey !== pins.rootfsKey) out.push(`rootfs ${here.rootfsKey}, pinned ${pins.rootfsKey}`);
  if (here.qemu !== pins.qemu) out.push(`QEMU "${here.qemu}", pinned "${pins.qemu}"`);
  return out;
}

/** What a job left in its lab directory (job.json): read by the gather step wherever the job ran. */
export type { JobResult } from './records.js';
