import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Command } from '../process/command.js';
import { execute } from '../process/runner.js';
import { LabError } from '../errors.js';
import { readCheckedJsonIfAny } from '../util/checked-record.js';

/** The qemu-img beside a QEMU binary (a built one has its own), else the system's. */
export function qemuImgFor(qemuBinary: string): Command['program'] {
  const beside = path.join(path.dirname(qemuBinary), 'qemu-img');
  return existsSync(beside) ? { path: beside } : 'qemu-img';
}

export function overlayCommand(qemuImg: Command['program'], image: string, disk: string): Command {
  return {
    program: qemuImg,
    args: ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', image, disk],
    what: 'qemu-img create (the overlay)',
  };
}

const OverlayInfoSchema = z.object({ imageKey: z.string() });

/**
 * What the overlay was made on, or undefined when that is not known: no
 * record, or a damaged one (the overlay is then made again; lab wrote it).
 */
async function readOverlayInfo(info: string): Promise<{ imageKey: string } | undefined> {
  try {
    return await readCheckedJsonIfAny(info, OverlayInfoSchema, { code: 'STATE_CORRUPT', maxBytes: 64 * 1024 });
  } catch (err) {
    if (err instanceof LabError) return undefined;
    throw err;
  }
}

/**
 * The VM writes to a qcow2 overlay backed by the stored image, so the image in
 * the store never changes. The overlay survives lab down (the student's files
 * stay) unless --fresh, or unless the image it was made on is no longer the
 * one being booted.
 */
export async function prepareDisk(
  disk: string,
  image: { file: string; key: string },
  options: { fresh: boolean; qemuBinary: string },
): Promise<{ disk: string; made: boolean; why?: string }> {
  const info = `${disk}.json`;
  let why: string | undefined;
  if (!existsSync(disk)) why = 'new';
  else if (options.fresh) why = 'fresh';
  else {
    const previous = await readOverlayInfo(info);
    if (previous?.imageKey !== image.key) why = previous ? 'the image changed' : 'its record was damaged';
  }
  if (!why) return { disk, made: false };
  await rm(disk, { force: true });
  const c = overlayCommand(qemuImgFor(options.qemuBinary), image.file, disk);
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
  await writeFile(info, JSON.stringify({ imageKey: image.key, backing: image.file }));
  return { disk, made: true, why };
}
