import { ARCHES } from '../arch/arch.js';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { LabError } from '../errors.js';
import { urlProblem } from '../util/url.js';
import { readCheckedTextSync } from '../util/checked-file.js';
import { parseCheckedJson } from '../util/checked-json.js';
import { projectRoot } from './paths.js';

export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lowercase hex digits');

/** A profile's name: a file name in profiles/, a bundle's name, never a path. */
export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const ProfileNameSchema = z
  .string()
  .regex(PROFILE_NAME, 'a profile name is letters, digits, ".", "_" and "-"')
  .refine((n) => !n.includes('..'), 'a profile name has no ".."');

/** How a lab.json names its profile: a name from profiles/, or the path of a profile's .json file. */
export const ProfileRefSchema = z
  .string()
  .refine(
    (p) => ProfileNameSchema.safeParse(p).success || (p.endsWith('.json') && !p.includes('\0')),
    'a profile is a name from profiles/ or the path of a .json file',
  );

/** A URL a profile fetches from: http or https (what it fetches is pinned by sha256), a host, no spaces. */
export const fetchUrl = z.string().superRefine((u, ctx) => {
  const problem = urlProblem(u, ['https', 'http']);
  if (problem) ctx.addIssue({ code: 'custom', message: `the URL ${problem}` });
});

export const SourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('url'),
    url: fetchUrl,
    sha256: sha256Hex,
    mirrors: z.array(fetchUrl).default([]),
  }),
  z.strictObject({ kind: z.literal('file'), path: z.string().min(1), sha256: sha256Hex.optional() }),
  z.strictObject({ kind: z.literal('dir'), path: z.string().min(1) }),
  z.strictObject({
    /**
     * A Debian package fetched by URL from the archive's pool, pinned by its sha256; member is the tarball inside it.
     */
    kind: z.literal('deb'),
    url: fetchUrl,
    sha256: sha256Hex,
    mirrors: z.array(fetchUrl).default([]),
    member: z
      .string()
      .regex(
        /^[^/].*\.tar\.(xz|gz|bz2)$/,
        'the path of a tarball inside the package, e.g. usr/src/linux-source-6.12.tar.xz',
      ),
  }),
  z.strictObject({
    kind: z.literal('debian-package'),
    package: z.string().min(1),
    path: z.string().min(1),
  }),
]);
export type Source = z.infer<typeof SourceSchema>;

export const KernelBaseSchema = z.union([
  z.enum(['tinyconfig', 'defconfig']),
  z.strictObject({ file: z.string().min(1) }),
]);
export type KernelBase = z.infer<typeof KernelBaseSchema>;

export const ProfileSchema = z.strictObject({
  name: ProfileNameSchema,
  description: z.string().default(''),
  kernel: z.strictObject({
    source: SourceSchema,
    base: KernelBaseSchema.default('tinyconfig'),
    fragments: z.array(z.string().min(1)).default(['lab.config']),
  }),
  qemu: z
    .strictObject({
      /** system: Debian's qemu-system-x86_64; build: the source below, built with qemu/<recipe>.json */
      use: z.enum(['system', 'build']),
      source: SourceSchema.optional(),
      recipe: z.string().optional(),
    })
    .refine((q) => (q.source === undefined) === (q.recipe === undefined), {
      message: 'a QEMU source and its recipe go together',
    })
    .refine((q) => q.use === 'system' || q.source !== undefined, {
      message: 'use "build" needs a source and a recipe',
    }),
  rootfs: z.enum(['initramfs', 'debian']).default('debian'),
  /** The guest's architecture; the host's when not given. */
  arch: z.enum(ARCHES).optional(),
  /** Debian packages the image gets beside lab's own (image/debian/packages.txt). */
  guestPackages: z.array(z.string().min(1)).default([]),
  fallback: z.string().optional(),
});
export type Profile = z.infer<typeof ProfileSchema>;

export const DEFAULT_PROFILE = '6.6';

/** The profile used when none is named: LAB_PROFILE (a name or a file), else 6.6. */
export function defaultProfile(env: NodeJS.ProcessEnv = process.env): string {
  return env.LAB_PROFILE || DEFAULT_PROFILE;
}

export function profilesDir(): string {
  return path.join(projectRoot(), 'profiles');
}

export function listProfiles(dir = profilesDir()): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** Parses a profile's JSON text; a bad file names the file, the key and what is allowed. */
export function parseProfile(text: string, origin: string): Profile {
  return parseCheckedJson(text, origin, ProfileSchema, 'PROFILE_INVALID', { hint: 'fix the profile' });
}

/** A profile file as lab reads it: a regular file (a link to one is followed), at most 1 MiB, never quoted. */
function readProfileFile(file: string): Profile {
  const read = { code: 'PROFILE_INVALID', maxBytes: 1024 * 1024, links: 'follow', what: 'the profile' } as const;
  return parseProfile(readCheckedTextSync(file, read), file);
}

/** A profile by name (profiles/NAME.json) or by the path of a profile file. */
export function loadProfile(name: string, dir = profilesDir()): Profile {
  if (name.endsWith('.json') || name.includes('/')) {
    if (!existsSync(name)) throw new LabError('PROFILE_UNKNOWN', `the profile file ${name} does not exist`);
    return readProfileFile(name);
  }
  const known = listProfiles(dir);
  if (!known.includes(name)) {
    throw new LabError('PROFILE_UNKNOWN', `no profile named "${name}"`, {
      hint: `choose one of ${known.join(', ')}`,
    });
  }
  const file = path.join(dir, `${name}.json`);
  return readProfileFile(file);
}
