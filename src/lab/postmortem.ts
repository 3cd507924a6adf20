import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../config/paths.js';
import { LabError } from '../errors.js';
import { SOURCE_PREFIX } from '../kernel/plan.js';
import type { Command } from '../process/command.js';
import { runFile } from '../record/files.js';
import { readRunManifestOf } from '../record/read-file.js';
import { resolveRunDir, runIds } from '../record/run-dir.js';
import { dumpManifestSchema, type DumpManifest } from '../record/schemas.js';
import { elfBuildIdOfFile } from '../util/elf.js';
import { requirePostmortemTool } from '../vmcore/tools.js';
import type { LabContext } from './context.js';

/** What a post-mortem opens: the core, and the vmlinux whose build id it names. */
export interface OpenedDump {
  runDir: string;
  core: string;
  vmlinux: string;
  /** the kernel's config beside its vmlinux, when the store has it */
  config?: string;
  /** the kernel's source tree in the store, when it has one */
  sourceTree?: string;
}

/**
 * crash on a lab core (pure). A kernel on SLOB (6.1's tinyconfig) has no slab
 * caches crash knows, so crash skips them, as it is told to; kmem -f, bt, ps
 * and the rest work. Sources are mapped as lab gdb maps them, in crash's gdb.
 */
export function crashCommand(dump: OpenedDump, slob: boolean, rc: string | undefined, userArgs: string[]): Command {
  return {
    program: 'crash',
    args: [...(slob ? ['--no_kmem_cache'] : []), ...(rc ? ['-i', rc] : []), ...userArgs, dump.vmlinux, dump.core],
    what: 'crash',
  };
}

/** drgn on a lab core (pure): the vmlinux for symbols and types, then the user's arguments (a script). */
export function drgnCommand(dump: OpenedDump, userArgs: string[]): Command {
  return { program: 'drgn', args: ['-s', dump.vmlinux, '-c', dump.core, ...userArgs], what: 'drgn' };
}

async function newestDump(ctx: LabContext): Promise<string> {
  for (const id of (await runIds(ctx.paths.runs)).reverse()) {
    const manifest = await readRunManifestOf(path.join(ctx.paths.runs, id), dumpManifestSchema).catch(() => undefined);
    if (manifest?.kind === 'dump') return path.join(ctx.paths.runs, id);
  }
  throw new LabError('NO_RUNS', `there is no dump in ${ctx.paths.runs}`, { hint: 'lab dump writes one' });
}

/** The dump run named (an id or a path), else this lab's newest, with the vmlinux its core was written from. */
export async function openDump(ctx: LabContext, ref?: string): Promise<OpenedDump & { manifest: DumpManifest }> {
  const runDir = ref === undefined ? await newestDump(ctx) : resolveRunDir(ctx.paths.runs, ref);
  const manifest = await readRunManifestOf(runDir, dumpManifestSchema).catch(() => {
    throw new LabError('RUN_UNKNOWN', `${runDir} is not a lab dump`, { hint: 'lab dump writes one' });
  });
  const core = runFile(runDir, 'core');
  if (!existsSync(core)) throw new LabError('RUN_DAMAGED', `${core} is missing`);
  const { vmlinux, buildId } = manifest.dump;
  const found = existsSync(vmlinux) ? await elfBuildIdOfFile(vmlinux) : undefined;
  if (found !== buildId) {
    throw new LabError('VMLINUX_MISMATCH', `the core's kernel (build id ${buildId}) is no longer at ${vmlinux}`, {
      hint: 'lab build builds that kernel again into the store',
    });
  }
  const dir = path.dirname(vmlinux);
  const config = existsSync(path.join(dir, 'config')) ? path.join(dir, 'config') : undefined;
  const tree = manifest.dump.sourceTree;
  const sourceTree = tree && existsSync(tree) ? tree : undefined;
  return { runDir, core, vmlinux, config, sourceTree, manifest };
}

/** lab crash [RUN]: crash on the core, with its vmlinux; sources mapped through crash's gdb. */
export async function crashSession(ctx: LabContext, ref: string | undefined, userArgs: string[]): Promise<Command> {
  requirePostmortemTool('crash');
  const dump = await openDump(ctx, ref);
  const slob = dump.config ? /^CONFIG_SLOB=y$/m.test(await readFile(dump.config, 'utf8')) : false;
  let rc: string | undefined;
  if (dump.sourceTree) {
    rc = path.join(dump.runDir, 'crash.rc');
    await writeFile(rc, `gdb set substitute-path ${SOURCE_PREFIX} ${dump.sourceTree}\n`);
  }
  return crashCommand(dump, slob, rc, userArgs);
}

/** lab drgn [RUN]: drgn on the core, with its vmlinux; --buddy runs lab's free-list walk. */
export async function drgnSession(
  ctx: LabContext,
  ref: string | undefined,
  userArgs: string[],
  buddy = false,
): Promise<Command> {
  requirePostmortemTool('drgn');
  const script = path.join(projectRoot(), 'drgn-scripts', 'lab_buddy.py');
  return drgnCommand(await openDump(ctx, ref), buddy ? [script, ...userArgs] : userArgs);
}
