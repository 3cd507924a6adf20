import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { LabError } from '../errors.js';
import { parseCheckedJson } from '../util/checked-json.js';
import { projectRoot } from '../config/paths.js';
import { settingPathProblem } from './setting-path.js';

const argv = z.array(z.string()).min(1);
const counts = z.record(
  z.string().regex(/^[\w.]+(\|[\w.]+)*$/, 'a name, or names joined by | for a function another kernel renamed'),
  z.number().int().min(0),
);
const settingPath = z.string().superRefine((file, ctx) => {
  const problem = settingPathProblem(file);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const StepSchema = z.union([
  z.strictObject({
    run: argv,
    background: z.boolean().default(false),
    /**
     * A background job: wait until it prints its report line ("{...}")
     * before the next step, up to readyTimeout seconds.
     */
    ready: z.boolean().default(false),
    readyTimeout: z.number().positive().max(1800).default(300),
  }),
  z.strictObject({ sleep: z.number().positive().max(600) }),
  /**
   * Waits until each /proc/vmstat counter has grown by at least its amount
   * since the scenario began, or `within` seconds pass; either way the run
   * goes on and the verdict judges. A fixed sleep raced the kernel: kswapd
   * wakes kcompactd only when it goes back to sleep, later on a slower guest.
   */
  z.strictObject({
    until: z.record(z.string().regex(/^\w+$/, 'a /proc/vmstat counter'), z.number().int().min(1)),
    within: z.number().positive().max(600),
  }),
  z.strictObject({ set: z.record(settingPath, z.string()) }),
]);
export type Step = z.infer<typeof StepSchema>;

export const ExpectSchema = z.strictObject({
  /** The compaction path this evidence shows: manual, direct, kcompactd, proactive. */
  path: z.enum(['manual', 'direct', 'kcompactd', 'proactive']),
  /** false: the scenario reproduces a path that does not fire (the seed's stress test); "either": only reported. */
  fired: z.union([z.boolean(), z.literal('either')]).default(true),
  /** /proc/vmstat counters and the least each must move. */
  counters: counts.default({}),
  /** trace events and the least number of each. */
  events: counts.default({}),
  /** breakpoint hits per function (innermost frame). */
  hits: counts.default({}),
  /** traced function calls. */
  calls: counts.default({}),
  /** the node's fragmentation score must end lower than its highest sample. */
  scoreFalls: z.boolean().default(false),
});
export type Expectation = z.infer<typeof ExpectSchema>;

export const ScenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'lowercase words joined by -'),
  description: z.string(),
  rootfs: z
    .array(z.enum(['debian', 'initramfs']))
    .min(1)
    .default(['debian', 'initramfs']),
  /** Set before the steps and restored after them, whatever happens. */
  settings: z.record(settingPath, z.string()).default({}),
  /**
   * Guest commands run once the settings are set and before anything is
   * measured or armed: they give each run the same start (caches dropped,
   * free memory compacted), whatever the run before it left.
   */
  prepare: z.array(argv).default([]),
  steps: z.array(StepSchema).min(1),
  /**
   * The moment the scenario starts from (lab run --same-start): its settings,
   * its prepare commands and its first `after` steps (the fragmenter ready)
   * make it; saved once as the lab's moment `moment`, loaded before each run.
   */
  start: z
    .strictObject({
      moment: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a moment name'),
      after: z.number().int().min(1),
    })
    .optional(),
  trace: z
    .strictObject({
      tracer: z.enum(['nop', 'function', 'function_graph']).default('nop'),
      filters: z.array(z.string()).default([]),
      graphFunctions: z.array(z.string()).default([]),
      maxDepth: z.number().int().min(0).optional(),
      events: z.array(z.string()).default([]),
      /** trace only this guest task, found by name when the scenario starts (the seed traced kcompactd0 by pid) */
      pidOf: z.string().optional(),
      bufferKb: z.number().int().positive().default(8192),
    })
    .optional(),
  breakpoints: z
    .strictObject({
      functions: z.array(z.string()).min(1),
      count: z.number().int().min(0).default(10),
    })
    .optional(),
  sample: z.strictObject({ interval: z.number().min(0.5).max(60).default(1) }).default({ interval: 1 }),
  expect: z.array(ExpectSchema).min(1),
});
export type Scenario = z.infer<typeof ScenarioSchema>;

export function scenariosDir(): string {
  return path.join(projectRoot(), 'scenarios');
}

export function listScenarios(dir = scenariosDir()): Array<{ name: string; description: string }> {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const s = loadScenarioFile(path.join(dir, f));
      return { name: s.name, description: s.description };
    });
}

/** A scenario file, checked: a bad one names the file, the key and what is allowed. */
export function parseScenario(text: string, file: string): Scenario {
  const scenario = parseCheckedJson(text, file, ScenarioSchema, 'SCENARIO_INVALID', {
    hint: 'fix the scenario',
    allowedKeysAt,
  });
  if (scenario.start && scenario.start.after >= scenario.steps.length)
    throw new LabError(
      'SCENARIO_INVALID',
      `${file}: start.after is ${scenario.start.after}, and it has ${scenario.steps.length} steps`,
      {
        hint: 'the start moment comes before the last step: what is measured must follow it',
      },
    );
  return scenario;
}

/** The keys a scenario may have where an unknown one was found. */
function allowedKeysAt(at: PropertyKey[]): string[] | undefined {
  const top = Object.keys(ScenarioSchema.shape);
  if (at.length === 0) return top;
  const [head] = at;
  if (head === 'trace') return ['tracer', 'filters', 'graphFunctions', 'maxDepth', 'events', 'pidOf', 'bufferKb'];
  if (head === 'breakpoints') return ['functions', 'count'];
  if (head === 'sample') return ['interval'];
  if (head === 'start') return ['moment', 'after'];
  if (head === 'expect') return Object.keys(ExpectSchema.shape);
  return undefined;
}

export function loadScenarioFile(file: string): Scenario {
  return parseScenario(readFileSync(file, 'utf8'), file);
}

/** A scenario by name (scenarios/NAME.json) or by path. */
export function loadScenario(nameOrPath: string): Scenario {
  if (nameOrPath.endsWith('.json') || nameOrPath.includes('/')) {
    if (!existsSync(nameOrPath)) throw new LabError('SCENARIO_UNKNOWN', `${nameOrPath} does not exist`, {});
    return loadScenarioFile(nameOrPath);
  }
  const file = path.join(scenariosDir(), `${nameOrPath}.json`);
  if (!existsSync(file)) {
    throw new LabError('SCENARIO_UNKNOWN', `no scenario named "${nameOrPath}"`, {
      hint: `choose one of ${listScenarios()
        .map((s) => s.name)
        .join(', ')} (lab run --list)`,
    });
  }
  return loadScenarioFile(file);
}
