import path from 'node:path';
import * as z from 'zod';
import { ProfileNameSchema } from '../config/profile.js';
import { ARCHES } from '../arch/arch.js';

/** A file lab built: an absolute path (in the store), never relative to wherever lab runs next. */
const builtFile = z.string().refine((p) => path.isAbsolute(p) && !p.includes('\0'), 'an absolute path');

/**
 * .lab/build.json as lab reads it back: every field a command uses, typed,
 * and the profile a plain name (lab pack names its bundle after it). Fields
 * lab does not read are kept as they are.
 */
export const BuildRecordSchema = z.looseObject({
  profile: ProfileNameSchema,
  fellBackFrom: ProfileNameSchema.optional(),
  fallbackReason: z.string().optional(),
  kernel: z.looseObject({
    key: z.string(),
    dir: builtFile,
    bzImage: builtFile,
    vmlinux: builtFile,
    systemMap: builtFile,
    config: builtFile,
    gdbScript: builtFile,
    version: z.string(),
    sourceId: z.string(),
    configSha256: z.string(),
    compiler: z.string(),
    // a record written before arm64 names none
    arch: z.enum(ARCHES).default('x86_64'),
  }),
  rootfs: z.looseObject({ kind: z.enum(['initramfs', 'debian']), key: z.string(), file: builtFile }),
  qemu: z.looseObject({ binary: builtFile, version: z.string(), firmwareDirs: z.array(z.string()).default([]) }),
  labConfig: z.looseObject({ lab: builtFile, config: builtFile, configSha256: z.string() }).optional(),
  builtAt: z.string(),
  seconds: z.number(),
});
