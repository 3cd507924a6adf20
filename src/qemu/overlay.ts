import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import type { Command } from '../process/command.js';
import { execute } from '../process/runner.js';
import { LabError } from '../errors.js';
import { readCheckedJsonIfAny } from '../util/checked-record.js';

/** The qemu-img beside a QEMU binary (a built one has its own), else the system's. */
export function qemuImgFor(qemuBinary: string): Command['program'] {
  const beside = path.join(path.dirname(qemuBinary), 'qemu-img');
  return existsSync(beside) ? { path: beside } : 'qemu-img';
}

/** The overlay on the stored image (raw), or on a boot snapshot's disk (qcow2, itself on the image). */
export function overlayCommand(
  qemuImg: Command['program'],
  backing: string,
  disk: string,
  backingFormat: 'raw' | 'qcow2' = 'raw',
): Command {
  return {
    program: qemuImg,
    args: ['create', '-q', '-f', 'qcow2', '-F', backingFormat, '-b', backing, disk],
    what: 'qemu-img create (the overlay)',
  };
}

const OverlayInfoSchema = z.object({ imageKey: z.string(), snapshotDisk: z.string().optional() });

/**
 * What the overlay was made on, or undefined when that is not known: no
 * record, or a damaged one (the overlay is then made again; lab wrote it).
 */
async function readOverlayInfo(info: string): Promise<z.infer<typeof OverlayInfoSchema> | undefined> {
  try {
    return await readCheckedJsonIfAny(info, OverlayInfoSchema, { code: 'STATE_CORRUPT', maxBytes: 64 * 1024 });
  } catch (err) {
    if (err instanceof LabError) return undefined;
    throw err;
  }
}

/**
 * Why the overlay must be made anew, or undefined when it is kept: it holds
 * the student's files from the last session, made on the image being booted.
 */
export async function overlayRenewal(
  disk: string,
  image: { key: string },
  fresh: boolean,
): Promise<string | undefined> {
  if (!existsSync(disk)) return 'new';
  if (fresh) return 'fresh';
  const previous = await readOverlayInfo(`${disk}.json`);
  if (!previous) return 'its record was damaged';
  if (previous.imageKey !== image.key) return 'the image changed';
  if (previous.snapshotDisk && !existsSync(previous.snapshotDisk)) return 'the boot snapshot it was made on is gone';
  return undefined;
}

/**
 * The VM writes to a qcow2 overlay backed by the stored image (or by a boot
 * snapshot's disk, itself backed by the image), so nothing in the store ever
 * changes. The overlay survives lab down (the student's files stay) unless
 * --fresh, or unless what it was made on is no longer there to boot.
 */
export async function prepareDisk(
  disk: string,
  image: { file: string; key: string },
  options: { fresh: boolean; qemuBinary: string; snapshotDisk?: string },
): Promise<{ disk: string; made: boolean; why?: string }> {
  const info = `${disk}.json`;
  const why = options.snapshotDisk ? 'restored' : await overlayRenewal(disk, image, options.fresh);
  if (!why) return { disk, made: false };
  await rm(disk, { force: true });
  const c = options.snapshotDisk
    ? overlayCommand(qemuImgFor(options.qemuBinary), options.snapshotDisk, disk, 'qcow2')
    : overlayCommand(qemuImgFor(options.qemuBinary), image.file, disk);
  const r = await execute(c);
  if (r.exitCode !== 0) {
    throw new LabError(
      'DISK_FAILED',
      `qemu-img could not make the overlay: ${r.stderr.toString().trim().split('\n')[0] ?? r.exitCode}`,
      {
        hint: 'apt-get install qemu-utils',
      },
    );
  }
  await writeFile(
    info,
    JSON.stringify({ imageKey: image.key, backing: image.file, snapshotDisk: options.snapshotDisk }),
  );
  return { disk, made: true, why };
}
