import { chmod, cp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { ROOTFS_FILE } from './rootfs-kinds.js';
import path from 'node:path';
import { LabError } from '../errors.js';
import { projectRoot } from '../config/paths.js';
import type { Progress } from '../progress/progress.js';
import type { Store } from '../store/store.js';
import { keyOf, sha256 } from '../util/hash.js';
import { executeChecked } from '../process/runner.js';
import {
  ctimeCommands,
  debugfsScriptCommand,
  IMAGE_BUILD_ENV,
  normalizeTree,
  reproducibleMke2fsCommand,
} from './reproducible.js';
import { systemProbe } from '../doctor/probe.js';
import type { Command } from '../process/command.js';
import { inside, seenAt, toolchainId, type Toolchain } from '../toolchain/toolchain.js';
import {
  debianMirror,
  debootstrapCommand,
  debianImageKeyInputs,
  enableUnitsCommand,
  maskUnitsCommand,
  growImageCommands,
  DEBIAN_SUITE,
  GUEST_LAB_EXEC,
  imageSizeMiB,
  mmdebstrapCommand,
  parsePackageList,
  treePath,
} from './debian-plan.js';
import { archSpec, hostArch, type Arch } from '../arch/arch.js';
import { foreignBuilderMissing, secondStageInGuest } from './second-stage.js';
import { treeBytes } from './tree-bytes.js';

export interface DebianImage {
  key: string;
  file: string;
  cached: boolean;
  packages: string[];
}

function imageDir(): string {
  return path.join(projectRoot(), 'image');
}

/** Every file of the overlay with its mode and content: part of the image's key. */
async function overlayFingerprint(dir: string): Promise<string[]> {
  const rows: string[] = [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath, e.name);
    const st = await stat(full);
    rows.push(`${path.relative(dir, full)} ${(st.mode & 0o777).toString(8)} ${sha256(await readFile(full))}`);
  }
  return rows.sort();
}

async function installTools(tree: string, tools: Record<string, Buffer>): Promise<void> {
  const dir = path.dirname(treePath(tree, GUEST_LAB_EXEC));
  await mkdir(dir, { recursive: true });
  for (const [name, data] of Object.entries(tools)) {
    await writeFile(path.join(dir, name), data);
    await chmod(path.join(dir, name), 0o755);
  }
}

export function debianBuilderMissing(isRoot: boolean, has: (cmd: string) => boolean): LabError | undefined {
  if (isRoot && !has('debootstrap')) {
    return new LabError('TOOL_MISSING', 'debootstrap is not installed (it builds the Debian image)', {
      hint: 'apt-get install debootstrap',
    });
  }
  if (!isRoot && !has('mmdebstrap')) {
    return new LabError(
      'TOOL_MISSING',
      'building the Debian image without root needs mmdebstrap (debootstrap needs root)',
      {
        hint: 'apt-get install mmdebstrap uidmap, or run lab build as root',
      },
    );
  }
  if (!has('mke2fs'))
    return new LabError('TOOL_MISSING', 'mke2fs is not installed', { hint: 'apt-get install e2fsprogs' });
  return undefined;
}

export async function buildDebianImage(
  store: Store,
  tools: Record<string, Buffer>,
  options: {
    progress: Progress;
    signal?: AbortSignal;
    logDir: string;
    mirror?: string;
    packages?: string[];
    toolchain: Toolchain;
    arch: Arch;
    /** The lab's kernel for the guest that runs debootstrap's second stage, when the image is foreign. */
    kernel?: string;
  },
): Promise<DebianImage> {
  const tc = options.toolchain;
  const mirror = options.mirror ?? debianMirror();
  const own = parsePackageList(await readFile(path.join(imageDir(), 'debian', 'packages.txt'), 'utf8'));
  const packages = [...own, ...(options.packages ?? []).filter((p) => !own.includes(p))];
  const overlay = path.join(imageDir(), 'debian', 'overlay');
  const target = archSpec(options.arch).debian;
  const foreign = options.arch !== hostArch();
  const key = keyOf(
    debianImageKeyInputs({
      mirror,
      packages,
      overlay: await overlayFingerprint(overlay),
      toolSha256s: Object.fromEntries(Object.entries(tools).map(([n, d]) => [n, sha256(d)])),
      // mke2fs and debugfs are the toolchain's
      ...(tc.kind === 'root' ? { toolchain: await toolchainId(tc, store) } : {}),
      ...(options.arch !== 'x86_64' ? { debianArch: target } : {}),
      ...(foreign ? { secondStageInGuest: true } : {}),
    }),
  );
  if (store.has('rootfs', key))
    return { key, file: path.join(store.entry('rootfs', key), ROOTFS_FILE.debian), cached: true, packages };

  const isRoot = process.getuid?.() === 0;
  const missing =
    debianBuilderMissing(isRoot, (c) => systemProbe.hasCommand(c)) ??
    (foreign
      ? foreignBuilderMissing(options.arch, isRoot, options.kernel, (c) => systemProbe.hasCommand(c))
      : undefined);
  if (missing) throw missing;
  await mkdir(options.logDir, { recursive: true });
  const logFile = path.join(options.logDir, 'debian-image.log');
  const run = (c: Command) => executeChecked(c, { logFile, signal: options.signal });

  const { path: entry } = await store.ensure('rootfs', key, async (dir) => {
    const image = path.join(dir, ROOTFS_FILE.debian);
    const scratch = await store.scratch('debian');
    try {
      if (isRoot) {
        let tree = path.join(scratch, 'tree');
        const cacheDir = path.join(store.root, 'debcache');
        await mkdir(cacheDir, { recursive: true });
        const stage = options.progress.stage(`debootstrap ${DEBIAN_SUITE}${foreign ? ` ${target}, first stage` : ''}`);
        const first = { mirror, cacheDir, ...(foreign ? { foreignArch: target } : {}) };
        await run({ ...debootstrapCommand(tree, packages, first), env: IMAGE_BUILD_ENV });
        stage.done(`${packages.length} packages on minbase`);
        await cp(overlay, tree, { recursive: true, force: true });
        await installTools(tree, tools);
        if (foreign) {
          tree = await secondStageInGuest(tree, scratch, {
            arch: options.arch,
            kernel: options.kernel!,
            logDir: options.logDir,
            progress: options.progress,
            run,
          });
        } else {
          await run(enableUnitsCommand(tree));
          await run(maskUnitsCommand(tree));
          // systemd makes a fresh machine-id at first boot; no apt downloads kept
          await writeFile(treePath(tree, '/etc/machine-id'), '');
          await rm(treePath(tree, '/var/cache/apt/archives'), { recursive: true, force: true });
          await mkdir(treePath(tree, '/var/cache/apt/archives/partial'), { recursive: true });
        }
        const paths = await normalizeTree(tree);
        const mk = options.progress.stage('mke2fs -d');
        const script = path.join(scratch, 'ctimes.debugfs');
        await writeFile(script, ctimeCommands(paths));
        // the tree's files keep their owners: root in the sandbox reads them all
        const places = { '/lab/build': scratch, '/lab/out': dir } as const;
        const inRoot = (c: Command) =>
          inside(tc, c, places, { readOnly: ['/lab/build'], caps: ['CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH'] });
        const seenImage = path.join(seenAt(tc, '/lab/out', dir), ROOTFS_FILE.debian);
        const seenTree = path.join(seenAt(tc, '/lab/build', scratch), path.relative(scratch, tree));
        const seenScratch = seenAt(tc, '/lab/build', scratch);
        const size = imageSizeMiB(await treeBytes(tree));
        await run(inRoot(reproducibleMke2fsCommand(seenTree, seenImage, size)));
        await run(inRoot(debugfsScriptCommand(seenImage, path.join(seenScratch, 'ctimes.debugfs'))));
        mk.done();
      } else {
        const staged = path.join(scratch, 'overlay');
        await cp(overlay, staged, { recursive: true });
        await installTools(staged, tools);
        const stage = options.progress.stage(`mmdebstrap ${DEBIAN_SUITE} (rootless)`);
        await run(mmdebstrapCommand(image, packages, { mirror, overlay: staged }));
        stage.done();
        for (const c of growImageCommands(image)) await run(c);
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
  return { key, file: path.join(entry, ROOTFS_FILE.debian), cached: false, packages };
}
