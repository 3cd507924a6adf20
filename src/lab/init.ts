import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { applyEdits, modify } from 'jsonc-parser';
import { LAB_FILE, parseLabFile } from '../config/lab-file.js';
import { projectRoot } from '../config/paths.js';
import { loadProfile } from '../config/profile.js';
import { LabError } from '../errors.js';
import { writeFileAtomically } from '../util/atomic-write.js';

/** The compaction course lab.json that lab init starts from. */
export function courseTemplate(): string {
  return path.join(projectRoot(), 'courses', 'compaction', LAB_FILE);
}

/** lab init: a commented lab.json for the compaction course, in dir. */
export async function initLab(flags: {
  dir?: string;
  profile?: string;
  force?: boolean;
}): Promise<{ file: string; profile: string; exercises: string[] }> {
  const file = path.resolve(flags.dir ?? '.', LAB_FILE);
  if (existsSync(file) && !flags.force) throw new LabError('LAB_FILE_EXISTS', `${file} already exists`);
  let text = await readFile(courseTemplate(), 'utf8');
  if (flags.profile) {
    loadProfile(flags.profile);
    text = applyEdits(
      text,
      modify(text, ['profile'], flags.profile, { formattingOptions: { insertSpaces: true, tabSize: 2 } }),
    );
  }
  const data = parseLabFile(text, file);
  await writeFileAtomically(file, text);
  return { file, profile: data.profile, exercises: data.exercises.map((e) => e.name) };
}
