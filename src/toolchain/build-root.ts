/**
 * The build root, made: mmdebstrap of the lab's suite as a tarball, unpacked
 * into the store under the key of what is installed in it, and the suite's
 * current root remembered so a warm build needs no network. A lab.lock's pins
 * name the root exactly: a store hit, or a root made from the mirror and
 * checked package by package against them.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { LabError } from '../errors.js';
import { changeList, packageChanges } from '../lock/lock.js';
import { executeChecked } from '../process/runner.js';
import type { Progress } from '../progress/progress.js';
import type { Store } from '../store/store.js';
import { writeFileAtomically } from '../util/atomic-write.js';
import { installedPackages } from '../util/dpkg-status.js';
import { keyOf } from '../util/hash.js';
import { readStoreRecord } from '../store/entry-record.js';
import { usernsFacts, usernsProblem } from './userns.js';
import {
  buildRootKeyInputs,
  mmdebstrapRootCommand,
  rootArchitectures,
  rootPackages,
  sandboxArgs,
  unpackRootCommand,
} from './build-root-plan.js';
import { archSpec, crossPrefix, hostArch, type Arch } from '../arch/arch.js';

export const BUILD_ROOT_SUITE = 'bookworm';

export interface BuildRoot {
  key: string;
  suite: string;
  /** The architecture its compiler builds for. */
  target: Arch;
  /** CROSS_COMPILE for make, when the target is not the host's architecture. */
  crossCompile?: string;
  /** The unpacked root, entered read-only. */
  tree: string;
  /** Every installed package, name -> version: the root's identity. */
  packages: Record<string, string>;
  /** The root's gcc --version first line, for people to read. */
  compiler: string;
  cached: boolean;
}

const RootRecordSchema = z.object({
  suite: z.string(),
  target: z.enum(['x86_64', 'arm64']).optional(),
  packages: z.record(z.string(), z.string()),
  compiler: z.string(),
  madeAt: z.string(),
});
type RootRecord = z.infer<typeof RootRecordSchema>;

/** The suite's current root, so a build without a lab.lock reuses it instead of asking the mirror. */
function currentFile(store: Store, suite: string, target: Arch): string {
  const cross = target === hostArch() ? '' : `-${target}`;
  return path.join(store.root, 'root-current', `${suite}${cross}.json`);
}

/** The key of a root: a cross root's says what it builds for. */
function rootKey(suite: string, packages: Record<string, string>, target: Arch): string {
  const host = hostArch();
  return keyOf(
    buildRootKeyInputs({
      suite,
      packages,
      arch: archSpec(host).debian,
      target: target === host ? undefined : target,
    }),
  );
}

const CurrentSchema = z.object({ key: z.string().regex(/^[0-9a-f]{32,64}$/) });

async function readRoot(store: Store, key: string, cached: boolean): Promise<BuildRoot> {
  const dir = store.entry('roots', key);
  const record = await readStoreRecord(path.join(dir, 'root.json'), RootRecordSchema);
  const target = record.target ?? hostArch();
  const crossCompile = crossPrefix(target);
  return {
    key,
    suite: record.suite,
    target,
    ...(crossCompile ? { crossCompile } : {}),
    tree: path.join(dir, 'tree'),
    packages: record.packages,
    compiler: record.compiler,
    cached,
  };
}

export interface BuildRootRequest {
  suite?: string;
  mirror: string;
  /** lab.lock's packages: the root must be exactly these. */
  pins?: Record<string, string>;
  /** The architecture it builds for (the host's when not given). */
  target?: Arch;
}

/** The lab's build root: from the store when it is there, else made (a few minutes, ~0.5 GB). */
export async function ensureBuildRoot(
  store: Store,
  request: BuildRootRequest,
  options: { progress: Progress; signal?: AbortSignal; logFile: string },
): Promise<BuildRoot> {
  const suite = request.suite ?? BUILD_ROOT_SUITE;
  const target = request.target ?? hostArch();
  const facts = usernsFacts();
  const blocked = (making: boolean) => {
    const problem = usernsProblem(facts, { making });
    if (problem) throw problem;
  };
  blocked(false);
  if (request.pins) {
    const key = rootKey(suite, request.pins, target);
    if (store.has('roots', key)) return readRoot(store, key, true);
  } else if (existsSync(currentFile(store, suite, target))) {
    const { key } = await readStoreRecord(currentFile(store, suite, target), CurrentSchema);
    if (store.has('roots', key)) return readRoot(store, key, true);
  }
  blocked(true);
  return store.locked(`roots/make-${suite}-${target}`, async () => {
    const made = await makeRoot(store, { suite, target }, request.mirror, request.pins, options);
    await writeFileAtomically(currentFile(store, suite, target), JSON.stringify({ key: made.key }) + '\n');
    return made;
  });
}

async function makeRoot(
  store: Store,
  { suite, target }: { suite: string; target: Arch },
  mirror: string,
  pins: Record<string, string> | undefined,
  options: { progress: Progress; signal?: AbortSignal; logFile: string },
): Promise<BuildRoot> {
  const asRoot = process.getuid?.() === 0;
  const run = (c: Parameters<typeof executeChecked>[0]) =>
    executeChecked(c, { logFile: options.logFile, signal: options.signal });
  const scratch = await store.scratch('build-root');
  try {
    const host = hostArch();
    const cross = target === host ? '' : ` (cross to ${target})`;
    const stage = options.progress.stage(`build root: mmdebstrap ${suite}${cross}`);
    const tarball = path.join(scratch, 'root.tar');
    await run(
      mmdebstrapRootCommand(tarball, {
        suite,
        mirror,
        asRoot,
        epoch: 0,
        architectures: rootArchitectures(target, host),
        packages: rootPackages(target, host),
      }),
    );
    const tree = path.join(scratch, 'tree');
    await mkdir(tree);
    await run(unpackRootCommand(tarball, tree));
    await rm(tarball, { force: true });
    const status = await readFile(path.join(tree, 'var/lib/dpkg/status'), 'utf8');
    const packages = installedPackages(status, archSpec(host).debian);
    const moved = pins ? packageChanges(pins, packages) : [];
    if (moved.length > 0) {
      throw new LabError(
        'BUILD_ROOT_DRIFT',
        `the ${suite} mirror no longer has the build root lab.lock pins: ${changeList(moved, 5)}`,
      );
    }
    const crossCompile = crossPrefix(target, host);
    const gccName = `${crossCompile ?? ''}gcc`;
    const gcc = await run({
      program: 'bwrap',
      args: sandboxArgs(
        { program: { path: `/usr/bin/${gccName}` }, args: ['--version'], what: `${gccName} --version` },
        { root: tree, binds: [], asRoot },
      ),
      what: 'gcc --version in the build root',
    });
    const compiler = gcc.stdout.toString().split('\n')[0]!.trim();
    stage.done(`${Object.keys(packages).length} packages, ${compiler}`);
    const key = rootKey(suite, packages, target);
    const record: RootRecord = {
      suite,
      ...(target === host ? {} : { target }),
      packages,
      compiler,
      madeAt: new Date().toISOString(),
    };
    const { hit } = await store.ensure('roots', key, async (dir) => {
      await writeFile(path.join(dir, 'root.json'), JSON.stringify(record, null, 2) + '\n');
      await rename(tree, path.join(dir, 'tree'));
    });
    return hit
      ? readRoot(store, key, true)
      : {
          key,
          suite,
          target,
          ...(crossCompile ? { crossCompile } : {}),
          tree: path.join(store.entry('roots', key), 'tree'),
          packages,
          compiler,
          cached: false,
        };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
