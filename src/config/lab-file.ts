import { ARCHES } from '../arch/arch.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import * as z from 'zod';
import { LabError } from '../errors.js';
import { TRIGGERS } from './triggers.js';
import { readCheckedTextSync, withoutBom } from '../util/checked-file.js';
import { checkAgainst } from '../util/checked-json.js';
import { MAX_JSON_DEPTH, tooDeepAt } from '../util/json-depth.js';
import { projectRoot } from './paths.js';
import {
  defaultProfile,
  KernelBaseSchema,
  loadProfile,
  ProfileRefSchema,
  SourceSchema,
  type Profile,
} from './profile.js';

/**
 * lab.json: the lab a teacher publishes. It names a profile and overrides
 * what the course pins (kernel source, config, fragments, rootfs, extra guest
 * packages, QEMU), and lists the exercises with what a correct run shows.
 * JSON with comments (jsonc-parser, VS Code's parser), so a teacher can say why.
 */
export const LAB_FILE = 'lab.json';
export const LOCK_FILE = 'lab.lock';

const DebugExerciseSchema = z.strictObject({
  break: z.array(z.string().min(1)).min(1),
  capture: z.array(z.string().min(1)).default([]),
  trigger: z.string().min(1).optional(),
  count: z.number().int().min(0).default(20),
});

export const ExpectationSchema = z.strictObject({
  /** Functions that must appear in the frames of some hit. */
  frames: z.array(z.string().min(1)).default([]),
  /** Breakpoints that must be hit at least once. */
  hits: z.array(z.string().min(1)).default([]),
  /** A scenario run: every verdict of the scenario's own expectations holds. */
  verdicts: z.literal('ok').optional(),
});
export type Expectation = z.infer<typeof ExpectationSchema>;

export const ExerciseSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'an exercise name is lowercase letters, digits and dashes'),
    about: z.string().default(''),
    debug: DebugExerciseSchema.optional(),
    scenario: z.string().min(1).optional(),
    expect: ExpectationSchema,
  })
  .refine((e) => (e.debug === undefined) !== (e.scenario === undefined), {
    message: 'an exercise is either "debug" or "scenario", not both or neither',
  });
export type Exercise = z.infer<typeof ExerciseSchema>;

export const LabFileSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a lab name is letters, digits, ".", "_" and "-"'),
  about: z.string().default(''),
  profile: ProfileRefSchema,
  kernel: z
    .strictObject({
      source: SourceSchema.optional(),
      base: KernelBaseSchema.optional(),
      /** A full .config, relative to lab.json: the base the fragments go on. */
      config: z.string().min(1).optional(),
      fragments: z.array(z.string().min(1)).optional(),
    })
    .default({}),
  rootfs: z
    .strictObject({
      kind: z.enum(['initramfs', 'debian']).optional(),
      /** Debian packages installed in the image beside lab's own. */
      packages: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/, 'a Debian package name')).default([]),
    })
    .default({ packages: [] }),
  qemu: z.enum(['system', 'build']).optional(),
  /** The guest's architecture, for every student: x86_64 or arm64. */
  arch: z.enum(ARCHES).optional(),
  /**
   * The class cache lab publish wrote: an http(s) URL or a folder relative to
   * lab.json. lab fetches what lab.lock pins from it, checked byte for byte.
   */
  cache: z.string().min(1).optional(),
  exercises: z.array(ExerciseSchema).default([]),
});
export type LabFileData = z.infer<typeof LabFileSchema>;

export interface LabFile {
  /** Absolute path of lab.json. */
  file: string;
  data: LabFileData;
  /** The profile with every override of lab.json applied: what lab build builds. */
  profile: Profile;
}

/** The line and column of an offset, 1-based. */
function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

function allowedKeysAt(at: PropertyKey[]): string[] | undefined {
  if (at.length === 0) return Object.keys(LabFileSchema.shape);
  if (at[0] === 'kernel' && at.length === 1) return ['source', 'base', 'config', 'fragments'];
  if (at[0] === 'rootfs' && at.length === 1) return ['kind', 'packages'];
  if (at[0] === 'exercises' && at.length === 2) return ['name', 'about', 'debug', 'scenario', 'expect'];
  if (at[0] === 'exercises' && at[2] === 'debug') return Object.keys(DebugExerciseSchema.shape);
  if (at[0] === 'exercises' && at[2] === 'expect') return Object.keys(ExpectationSchema.shape);
  return undefined;
}

/** lab.json's text, checked: a bad file names the file, the key (or line:column) and what is allowed. */
export function parseLabFile(raw: string, file: string): LabFileData {
  const text = withoutBom(raw);
  const deep = tooDeepAt(text);
  if (deep !== undefined)
    throw new LabError('LAB_FILE_INVALID', `${file}:${lineColumn(text, deep)}: nested deeper than ${MAX_JSON_DEPTH}`, {
      hint: 'fix the JSON',
    });
  const errors: ParseError[] = [];
  const json: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const e = errors[0]!;
    throw new LabError('LAB_FILE_INVALID', `${file}:${lineColumn(text, e.offset)}: ${printParseErrorCode(e.error)}`, {
      hint: 'fix the JSON',
    });
  }
  const data = checkAgainst(json, file, LabFileSchema, 'LAB_FILE_INVALID', { hint: 'fix lab.json', allowedKeysAt });
  const names = data.exercises.map((e) => e.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice)
    throw new LabError('LAB_FILE_INVALID', `${file}: exercises: "${twice}" is named twice`, {
      hint: 'give each exercise its own name',
    });
  return data;
}

/**
 * The profile lab.json describes: its base profile with the overrides on top
 * (pure). Files it names are relative to lab.json; a fragment that is not a
 * file there is one of lab's own (kernel-configs/).
 */
export function applyLabFile(base: Profile, data: LabFileData, dir: string, exists: (p: string) => boolean): Profile {
  const k = data.kernel;
  const local = (p: string) => (path.isAbsolute(p) ? p : path.join(dir, p));
  const source =
    k.source && (k.source.kind === 'file' || k.source.kind === 'dir')
      ? { ...k.source, path: local(k.source.path) }
      : k.source;
  return {
    ...base,
    name: data.name,
    description: data.about || base.description,
    kernel: {
      source: source ?? base.kernel.source,
      base: k.config ? { file: local(k.config) } : (k.base ?? base.kernel.base),
      fragments: (k.fragments ?? base.kernel.fragments).map((f) => (exists(local(f)) ? local(f) : f)),
    },
    qemu: data.qemu ? { ...base.qemu, use: data.qemu } : base.qemu,
    rootfs: data.rootfs.kind ?? base.rootfs,
    ...((data.arch ?? base.arch) ? { arch: data.arch ?? base.arch } : {}),
    guestPackages: [...base.guestPackages, ...data.rootfs.packages],
    // a pinned lab never silently becomes another
    fallback: undefined,
  };
}

/** ./lab.json (or the file given), if there is one. */
export function findLabFile(explicit: string | undefined, cwd = process.cwd()): string | undefined {
  if (explicit !== undefined) {
    const file = path.resolve(cwd, explicit);
    if (!existsSync(file))
      throw new LabError('LAB_FILE_MISSING', `${explicit} does not exist`, {
        hint: 'give the path of a lab.json, or run lab init',
      });
    return file;
  }
  const file = path.join(cwd, LAB_FILE);
  return existsSync(file) ? file : undefined;
}

/** An exercise naming a trigger or a scenario lab does not have (pure but for `exists`). */
export function checkExerciseNames(
  data: LabFileData,
  file: string,
  triggers: string[],
  scenarioExists: (name: string) => boolean,
): void {
  data.exercises.forEach((ex, i) => {
    if (ex.debug?.trigger !== undefined && !triggers.includes(ex.debug.trigger)) {
      throw new LabError(
        'LAB_FILE_INVALID',
        `${file}: exercises.${i}.debug.trigger: "${ex.debug.trigger}" ` +
          `is not a trigger (allowed: ${triggers.join(', ')})`,
      );
    }
    if (ex.scenario !== undefined && !scenarioExists(ex.scenario)) {
      throw new LabError('LAB_FILE_INVALID', `${file}: exercises.${i}.scenario: no scenario named "${ex.scenario}"`, {
        hint: 'lab run --list names them',
      });
    }
  });
}

/** Every trigger and scenario the exercises name is one of lab's own. */
export function checkLabFileNames(data: LabFileData, file: string): void {
  checkExerciseNames(
    data,
    file,
    Object.keys(TRIGGERS),
    (name) => /^[a-z0-9-]+$/.test(name) && existsSync(path.join(projectRoot(), 'scenarios', `${name}.json`)),
  );
}

/** What lab reads of a lab.json at most. */
export const LAB_FILE_BYTES = 1024 * 1024;

export function readLabFile(file: string): LabFile {
  const read = {
    code: 'LAB_FILE_INVALID',
    maxBytes: LAB_FILE_BYTES,
    links: 'follow',
    hint: 'give a lab.json file',
  } as const;
  const data = parseLabFile(readCheckedTextSync(file, read), file);
  checkLabFileNames(data, file);
  const profile = applyLabFile(loadProfile(data.profile), data, path.dirname(file), existsSync);
  return { file, data, profile };
}

/**
 * The profile a command uses: --profile, else the lab in ./lab.json (or
 * --lab FILE), else LAB_PROFILE, else 6.6. Flags for the kernel, rootfs and
 * QEMU still override what it says.
 */
export function chooseProfile(flags: { profile?: string; lab?: string }): { profile: Profile; labFile?: LabFile } {
  if (flags.profile !== undefined) return { profile: loadProfile(flags.profile) };
  const file = findLabFile(flags.lab);
  if (file) {
    const labFile = readLabFile(file);
    return { profile: labFile.profile, labFile };
  }
  return { profile: loadProfile(defaultProfile()) };
}
