import { z } from 'zod';

/**
 * The Trace Event Format (the JSON Object Format of Google's "Trace Event
 * Format" document, which chrome://tracing and Perfetto UI read), as far as
 * lab's trace.json uses it: each phase with the fields that document requires
 * of it.
 */
const base = {
  name: z.string().min(1),
  cat: z.string().optional(),
  ts: z.number().int().nonnegative(),
  pid: z.number().int(),
  tid: z.number().int(),
};
const args = z.record(z.string(), z.unknown());

export const TraceEventSchema = z.discriminatedUnion('ph', [
  z.object({ ...base, ph: z.literal('B'), args: args.optional() }).strict(),
  // an end matches its begin by name on the same thread; its args would be merged into the begin's
  z.object({ ...base, ph: z.literal('E') }).strict(),
  z.object({ ...base, ph: z.literal('X'), dur: z.number().int().positive(), args: args.optional() }).strict(),
  z.object({ ...base, ph: z.literal('i'), s: z.enum(['g', 'p', 't']), args: args.optional() }).strict(),
  // a counter's args are its series: every value a number
  z.object({ ...base, ph: z.literal('C'), args: z.record(z.string(), z.number()) }).strict(),
  z
    .object({
      ...base,
      ph: z.literal('M'),
      name: z.enum(['process_name', 'thread_name', 'process_sort_index', 'thread_sort_index']),
      args: z.object({ name: z.string() }).strict(),
    })
    .strict(),
]);

export const TraceFileSchema = z
  .object({
    traceEvents: z.array(TraceEventSchema),
    displayTimeUnit: z.enum(['ms', 'ns']).optional(),
  })
  .strict();

/** Every B has its E on the same pid and tid, in order, none left open (a viewer would draw an open one to the end). */
export function unbalancedSlices(
  events: Array<{ ph: string; name: string; pid: number; tid: number; ts: number }>,
): string[] {
  const open = new Map<string, string[]>();
  const problems: string[] = [];
  for (const e of [...events].filter((x) => x.ph === 'B' || x.ph === 'E').sort((a, b) => a.ts - b.ts)) {
    const key = `${e.pid}/${e.tid}`;
    const stack = open.get(key) ?? [];
    if (e.ph === 'B') stack.push(e.name);
    else if (stack.pop() !== e.name) problems.push(`E ${e.name} at ${e.ts} on ${key} closes nothing of its name`);
    open.set(key, stack);
  }
  for (const [key, stack] of open) for (const name of stack) problems.push(`B ${name} on ${key} never ends`);
  return problems;
}
