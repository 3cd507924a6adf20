import { existsSync } from 'node:fs';
import { lstat, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { applyEdits, modify } from 'jsonc-parser';
import { compactionCourse, EXERCISE_TEXT_BYTES, exerciseTextName } from '../config/course.js';
import { checkLabFileNames, LAB_FILE, LAB_FILE_BYTES, parseLabFile } from '../config/lab-file.js';
import { loadProfile } from '../config/profile.js';
import { LabError } from '../errors.js';
import { writeFilesAtomically } from '../util/atomic-write.js';
import { readCheckedBytes, withoutBom } from '../util/checked-file.js';

/** The compaction course lab.json that lab init starts from. */
export function courseTemplate(): string {
  return path.join(compactionCourse(), LAB_FILE);
}

export interface InitFlags {
  /** Where to write (default: the current directory). */
  dir?: string;
  /** A course directory: lab.json and one NAME.md per exercise (default: lab's compaction course). */
  from?: string;
  profile?: string;
  force?: boolean;
}

export interface InitResult {
  file: string;
  /** The course directory it was copied from. */
  from: string;
  profile: string;
  exercises: string[];
  /** The exercise texts (and the course's kernel files) written beside lab.json. */
  texts: string[];
  /** The exercises left without a text, and why. */
  untexted: Array<{ exercise: string; why: string }>;
}

/** A full kernel .config is a few hundred KiB. */
const KERNEL_FILE_BYTES = 8 << 20;

const COURSE_HINT = 'a course is a directory holding lab.json and one NAME.md per exercise';

/** The course directory, resolved through any link to it: what "inside the course" means. */
async function courseDirOf(from: string): Promise<string> {
  const dir = path.resolve(from);
  const stats = await stat(dir).catch(() => undefined);
  if (!stats) throw new LabError('LAB_FILE_MISSING', `the course ${from} does not exist`, { hint: COURSE_HINT });
  if (!stats.isDirectory()) throw new LabError('LAB_FILE_MISSING', `${from} is not a directory`, { hint: COURSE_HINT });
  return realpath(dir);
}

type NotCopied = 'missing' | 'link to nothing' | 'link out';

/**
 * A file of the course directory by name: its bytes, or why it is not
 * copied. A link is followed only to a file inside the directory, never out.
 */
async function readCourseFile(
  dir: string,
  name: string,
  maxBytes: number,
): Promise<{ bytes: Buffer } | { why: NotCopied }> {
  const file = path.join(dir, name);
  const stats = await lstat(file).catch(() => undefined);
  if (!stats) return { why: 'missing' };
  let target = file;
  if (stats.isSymbolicLink()) {
    const real = await realpath(file).catch(() => undefined);
    if (real === undefined) return { why: 'link to nothing' };
    const rel = path.relative(dir, real);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return { why: 'link out' };
    target = real;
  }
  const bytes = await readCheckedBytes(target, { code: 'LAB_FILE_INVALID', maxBytes, hint: COURSE_HINT });
  return { bytes };
}

/** Why a course file is not copied, in words (pure). */
function notCopied(dir: string, name: string, why: NotCopied): string {
  if (why === 'missing') return `there is no ${name} in ${dir}`;
  if (why === 'link out') return `${path.join(dir, name)} is a link out of ${dir}: not followed`;
  return `${path.join(dir, name)} is a link to nothing`;
}

/** The files a course would overwrite, in one line (pure). */
function inTheWayMessage(out: string, files: string[]): string {
  if (files.length === 1) return `${files[0]} already exists`;
  const names = files.map((f) => path.relative(out, f));
  const shown = names.length > 3 ? [...names.slice(0, 3), `${names.length - 3} more`] : names;
  return `${shown.join(', ')} already exist in ${out}`;
}

/** lab.json of the course, its profile set to the one asked for (checked before anything is written). */
function withProfile(text: string, profile: string | undefined): string {
  if (!profile) return text;
  loadProfile(profile);
  return applyEdits(
    text,
    modify(text, ['profile'], profile, { formattingOptions: { insertSpaces: true, tabSize: 2 } }),
  );
}

/**
 * lab init: a course's lab.json and its exercise texts, copied into dir.
 * Everything is read and checked first, then written together: nothing
 * half-written when the course is bad or a file is in the way.
 */
export async function initLab(flags: InitFlags): Promise<InitResult> {
  const from = await courseDirOf(flags.from ?? compactionCourse());
  const source = path.join(from, LAB_FILE);
  const lab = await readCourseFile(from, LAB_FILE, LAB_FILE_BYTES);
  if ('why' in lab) {
    const code = lab.why === 'link out' ? 'LAB_FILE_INVALID' : 'LAB_FILE_MISSING';
    throw new LabError(code, notCopied(from, LAB_FILE, lab.why), { hint: COURSE_HINT });
  }
  const text = withProfile(withoutBom(lab.bytes.toString('utf8')), flags.profile);
  const data = parseLabFile(text, source);
  checkLabFileNames(data, source);

  const out = path.resolve(flags.dir ?? '.');
  const file = path.join(out, LAB_FILE);
  const texts: Array<{ file: string; data: Buffer }> = [];
  const untexted: InitResult['untexted'] = [];
  for (const ex of data.exercises) {
    const name = exerciseTextName(ex.name);
    const read = await readCourseFile(from, name, EXERCISE_TEXT_BYTES);
    if ('why' in read) untexted.push({ exercise: ex.name, why: notCopied(from, name, read.why) });
    else texts.push({ file: path.join(out, name), data: read.bytes });
  }
  // the course's own kernel files: a full .config and fragments that are files beside lab.json
  for (const name of [data.kernel.config, ...(data.kernel.fragments ?? [])]) {
    if (!name || path.isAbsolute(name) || name.split(/[\\/]/).includes('..')) continue;
    const read = await readCourseFile(from, name, KERNEL_FILE_BYTES);
    if ('bytes' in read) texts.push({ file: path.join(out, name), data: read.bytes });
    else if (read.why !== 'missing') untexted.push({ exercise: '(kernel)', why: notCopied(from, name, read.why) });
  }
  const inTheWay = [file, ...texts.map((t) => t.file)].filter((f) => existsSync(f));
  if (inTheWay.length && !flags.force) throw new LabError('LAB_FILE_EXISTS', inTheWayMessage(out, inTheWay));
  // lab.json last: when it is there, its texts are too
  await writeFilesAtomically([...texts, { file, data: text }]);
  return {
    file,
    from,
    profile: data.profile,
    exercises: data.exercises.map((e) => e.name),
    texts: texts.map((t) => t.file),
    untexted,
  };
}
