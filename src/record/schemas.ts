import * as z from 'zod';

/**
 * The JSON files of a run directory other than hits (hit-schema.ts): what
 * their readers rely on, checked; a checked value is the file's own, every
 * other key kept as it was written (read-file.ts returns the input, not zod's copy).
 */
export const manifestSchema = z.object({
  id: z.string().optional(),
  kind: z.string(),
  request: z.record(z.string(), z.unknown()).optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;

/** A lab dump run's manifest: the core and the kernel it names. */
export const dumpManifestSchema = manifestSchema.extend({
  kind: z.literal('dump'),
  dump: z.object({
    format: z.string(),
    bytes: z.number(),
    seconds: z.number(),
    at: z.string().nullable(),
    buildId: z.string().regex(/^[0-9a-f]{2,128}$/),
    vmlinux: z.string(),
    sourceTree: z.string().optional(),
    osrelease: z.string().optional(),
  }),
});

export type DumpManifest = z.infer<typeof dumpManifestSchema>;

const zoneFreeSchema = z.object({ node: z.number(), zone: z.string(), free: z.array(z.number()) });

/** One line of samples.jsonl. */
export const sampleSchema = z.object({
  t: z.number(),
  score: z.number(),
  vmstat: z.record(z.string(), z.number()),
  buddyinfo: z.array(zoneFreeSchema).optional(),
});

/** One line of snapshots.jsonl (lab debug --snapshot). */
export const snapshotSchema = z.object({
  when: z.string(),
  seq: z.number().optional(),
  kind: z.string(),
  data: z.unknown(),
});

export const stepsSchema = z.array(z.object({ t: z.number(), label: z.string() }));

const verdictSchema = z.object({ path: z.string(), fired: z.boolean(), ok: z.boolean() });

export const verdictsSchema = z.object({
  scenario: z.string().optional(),
  verdicts: z.array(verdictSchema),
  evidence: z.unknown(),
});

export type VerdictsFile = z.infer<typeof verdictsSchema>;

export const traceSummarySchema = z.object({
  lines: z.number().optional(),
  records: z.number().optional(),
  functions: z.array(z.record(z.string(), z.unknown())).optional(),
  events: z.record(z.string(), z.number()).optional(),
});
