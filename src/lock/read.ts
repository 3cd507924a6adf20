import { existsSync } from 'node:fs';
import path from 'node:path';
import { LOCK_FILE, type LabFile } from '../config/lab-file.js';
import { LabError } from '../errors.js';
import { readCheckedText } from '../util/checked-file.js';
import { RECORD_BYTES } from '../util/checked-record.js';
import { parseLock, type LabLock } from './lock.js';

/** lab.lock's place: beside lab.json. */
export function lockFileOf(labFile: LabFile): string {
  return path.join(path.dirname(labFile.file), LOCK_FILE);
}

export async function readLock(file: string): Promise<LabLock> {
  if (!existsSync(file)) throw new LabError('LOCK_MISSING', `there is no ${file}`);
  return parseLock(
    await readCheckedText(file, { code: 'LOCK_INVALID', maxBytes: RECORD_BYTES, links: 'follow' }),
    file,
  );
}
