import type { BuildRecord } from '../lab/build-record.js';
import type { LabContext } from '../lab/context.js';
import type { VmState } from '../vm/state.js';
import { createRunDir } from './run-dir.js';
import { writeManifest } from './write.js';

export type RunKind = 'debug' | 'trace' | 'scenario' | 'dump';

/** The kernel as a manifest records it: all the build knows when the VM runs the kernel the build made. */
function kernelOf(vm: VmState, build: BuildRecord | undefined) {
  const k = build?.kernel;
  const arch = vm.kernel.arch ?? 'x86_64';
  if (!k || k.key !== vm.kernel.key) return { version: vm.kernel.version, key: vm.kernel.key, arch };
  return {
    version: k.version,
    key: k.key,
    arch,
    source: k.sourceId,
    origin: k.sourceOrigin,
    configSha256: k.configSha256,
    compiler: k.compiler,
  };
}

/** What every run's manifest says of the lab it ran in (pure). */
export function manifestBase(
  kind: RunKind,
  id: string,
  vm: VmState,
  build: BuildRecord | undefined,
  commandLine: string[],
  now = new Date(),
) {
  return {
    id,
    kind,
    command: ['lab', ...commandLine],
    createdAt: now.toISOString(),
    profile: vm.profile,
    fellBackFrom: build?.fellBackFrom,
    kernel: kernelOf(vm, build),
    rootfs: vm.rootfs,
    qemu: {
      binary: vm.qemu,
      version: vm.qemuVersion,
      built: build?.qemu.binary === vm.qemu ? build.qemu.built : undefined,
      firmwareDirs: vm.firmwareDirs,
      accel: vm.accel,
      memory: vm.memory,
      cpus: vm.cpus,
      gdbPort: vm.gdbPort,
    },
  };
}

/**
 * A run directory with its manifest written at once, then completed (each
 * finish adds its fields and rewrites it whole) or marked failed.
 */
export interface OpenedRun {
  id: string;
  dir: string;
  /** the manifest as last written */
  manifest: Record<string, unknown>;
}

/** The manifest with more fields, written atomically: a reader sees the old one or the new one. */
export async function updateManifest(run: OpenedRun, fields: Record<string, unknown>): Promise<void> {
  run.manifest = { ...run.manifest, ...fields };
  await writeManifest(run.dir, run.manifest);
}

export async function failRun(run: OpenedRun, err: unknown): Promise<void> {
  await updateManifest(run, { error: err instanceof Error ? err.message : String(err) });
}

export async function openRun(
  ctx: Pick<LabContext, 'paths' | 'commandLine'>,
  kind: RunKind,
  name: string,
  vm: VmState,
  build: BuildRecord | undefined,
  request: Record<string, unknown>,
): Promise<OpenedRun> {
  const { id, dir } = await createRunDir(ctx.paths.runs, name);
  const run = { id, dir, manifest: { ...manifestBase(kind, id, vm, build, ctx.commandLine), request } };
  await writeManifest(dir, run.manifest);
  return run;
}
