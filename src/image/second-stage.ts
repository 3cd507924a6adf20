import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { archSpec, type Arch } from '../arch/arch.js';
import { LabError } from '../errors.js';
import type { Command } from '../process/command.js';
import type { Progress } from '../progress/progress.js';
import { secondStageArgs } from '../qemu/args.js';
import {
  firstStageDiskCommand,
  imageSizeMiB,
  SECOND_STAGE,
  SECOND_STAGE_DONE,
  secondStageScript,
  treePath,
  unpackTreeCommand,
} from './debian-plan.js';
import { treeBytes } from './tree-bytes.js';

/** What a foreign image needs beyond the native one: root, the guest's QEMU, and a kernel to boot. */
export function foreignBuilderMissing(
  arch: Arch,
  isRoot: boolean,
  kernel: string | undefined,
  has: (cmd: string) => boolean,
): LabError | undefined {
  const { qemu } = archSpec(arch);
  if (!isRoot)
    return new LabError('TOOL_MISSING', `the ${arch} Debian image is built as root (debootstrap --foreign)`, {
      hint: `run lab build as root, or use --rootfs initramfs`,
    });
  if (!has(qemu.binary))
    return new LabError('TOOL_MISSING', `${qemu.binary} is not installed (it runs the image's second stage)`, {
      hint: `bash scripts/install-deps.sh ${qemu.purpose}`,
    });
  if (!kernel) return new LabError('BAD_OPTION', `the ${arch} Debian image needs the lab's ${arch} kernel to build`);
  return undefined;
}

/**
 * debootstrap's second stage, run by the guest: the first stage's tree
 * becomes a plain ext4 disk, the lab's own kernel boots it with the stage's
 * script as init, and the configured tree comes back as a tar on a second
 * disk, unpacked as root with owners and extended attributes kept.
 */
export async function secondStageInGuest(
  tree: string,
  scratch: string,
  o: { arch: Arch; kernel: string; logDir: string; progress: Progress; run: (c: Command) => Promise<unknown> },
): Promise<string> {
  const stage = o.progress.stage(`debootstrap second stage in the ${o.arch} guest (TCG)`);
  await writeFile(treePath(tree, SECOND_STAGE), secondStageScript(), { mode: 0o755 });
  const size = imageSizeMiB(await treeBytes(tree));
  const rootImage = path.join(scratch, 'first-stage.ext4');
  const outTar = path.join(scratch, 'second-stage.tar');
  await o.run(firstStageDiskCommand(tree, rootImage, size));
  // a sparse file the guest writes its tar into: QEMU's raw disk is the tar
  await writeFile(outTar, '');
  await truncate(outTar, size * 1024 * 1024);
  const consoleLog = path.join(o.logDir, 'second-stage-console.log');
  await rm(consoleLog, { force: true });
  const args = secondStageArgs({ arch: o.arch, kernel: o.kernel, init: SECOND_STAGE, rootImage, outTar, consoleLog });
  await o.run({ program: archSpec(o.arch).qemu.binary, args, what: 'the second stage guest' });
  const printed = existsSync(consoleLog) ? await readFile(consoleLog, 'utf8') : '';
  if (!printed.includes(SECOND_STAGE_DONE)) {
    const last = printed.trim().split('\n').slice(-1)[0] ?? '';
    throw new LabError('SECOND_STAGE_FAILED', `debootstrap's second stage did not finish in the guest: ${last}`, {
      hint: `see ${consoleLog}`,
    });
  }
  const configured = path.join(scratch, 'configured');
  await mkdir(configured);
  await o.run(unpackTreeCommand(outTar, configured));
  await rm(tree, { recursive: true, force: true });
  stage.done();
  return configured;
}
