import * as z from 'zod';

/** Who holds a lock: written into the lock file when it is made. */
export const LockOwnerSchema = z.object({
  pid: z.number().int(),
  host: z.string(),
  /** Unique per acquisition: a release or a break touches only the lock it judged. */
  token: z.string(),
  since: z.string(),
  what: z.string(),
});
export type LockOwner = z.infer<typeof LockOwnerSchema>;
