import * as z from 'zod';

/** A job id as a file name: it names the job's file and lab directory, so never a path. */
export const JobIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'a job id')
  .refine((id) => !id.includes('..'), 'a job id has no ".."');

/** matrix.json: what lab matrix prepared, read back by the run, gather and Slurm steps. */
export const MatrixPlanSchema = z.object({
  matrix: z.string(),
  spec: z.string(),
  jobs: z.array(JobIdSchema),
  kernels: z.array(z.object({ name: z.string(), key: z.string(), cached: z.boolean(), seconds: z.number() })),
});
export type MatrixPlan = z.infer<typeof MatrixPlanSchema>;

/** job.json: what a job left in its lab directory, wherever it ran. */
export const JobResultSchema = z.object({
  id: z.string(),
  cell: z.string(),
  kernel: z.string(),
  scenario: z.string(),
  repeat: z.number().int(),
  status: z.enum(['done', 'failed']),
  /** Every verdict held (the scenario's own expectations). */
  ok: z.boolean(),
  verdicts: z.array(z.object({ path: z.string(), fired: z.boolean(), ok: z.boolean() })),
  runDir: z.string().optional(),
  gdbPort: z.number().optional(),
  seconds: z.number(),
  error: z.string().optional(),
  host: z.string(),
});
export type JobResult = z.infer<typeof JobResultSchema>;

/** slurm/submitted.json: the job ids sbatch gave the build, the array and the gather. */
export const SlurmSubmissionSchema = z.object({
  build: z.string().regex(/^\d+$/, 'a Slurm job id'),
  array: z.string().regex(/^\d+$/, 'a Slurm job id'),
  gather: z.string().regex(/^\d+$/, 'a Slurm job id'),
});
export type SlurmSubmission = z.infer<typeof SlurmSubmissionSchema>;
