/**
 * Kernel .config handling as pure functions: parsing, the fragment's
 * requirements, and checking that olddefconfig kept what the lab needs.
 */

/** An option's value: "y", "m", a string or number as written, or null for "is not set". */
export type ConfigValue = string | null;

const SET = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/;
const UNSET = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/;

export function parseConfig(text: string): Map<string, ConfigValue> {
  const options = new Map<string, ConfigValue>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const set = SET.exec(line);
    if (set) {
      options.set(set[1]!, set[2]!);
      continue;
    }
    const unset = UNSET.exec(line);
    if (unset) options.set(unset[1]!, null);
  }
  return options;
}

export interface Requirement {
  name: string;
  value: ConfigValue;
  /** fragment file and line, for messages */
  origin: string;
}

export function fragmentRequirements(text: string, origin: string): Requirement[] {
  const reqs: Requirement[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const set = SET.exec(line);
    const unset = UNSET.exec(line);
    if (set) reqs.push({ name: set[1]!, value: set[2]!, origin: `${origin}:${i + 1}` });
    else if (unset) reqs.push({ name: unset[1]!, value: null, origin: `${origin}:${i + 1}` });
  });
  return reqs;
}

/**
 * The fragments' requirements as merge_config.sh applies them (pure): a later
 * fragment's value for an option replaces an earlier one's, so arm64.config's
 * "# CONFIG_RTC_DRV_CMOS is not set" stands where systemd.config asked for
 * x86's CMOS clock.
 */
export function mergedRequirements(fragments: Array<{ text: string; name: string }>): Requirement[] {
  const byName = new Map<string, Requirement>();
  for (const f of fragments) {
    for (const r of fragmentRequirements(f.text, f.name)) {
      byName.delete(r.name);
      byName.set(r.name, r);
    }
  }
  return [...byName.values()];
}

export interface Unmet {
  requirement: Requirement;
  actual: ConfigValue | undefined;
}

/**
 * The requirements the final config does not satisfy. An option that is absent
 * from the final config counts as "not set" (Kconfig drops options whose
 * dependencies are off), which satisfies "is not set", and an empty string
 * (an absent string option names no file either), and fails anything else.
 */
export function unmetRequirements(finalConfig: Map<string, ConfigValue>, reqs: Requirement[]): Unmet[] {
  const unmet: Unmet[] = [];
  for (const req of reqs) {
    const actual = finalConfig.get(req.name);
    const effective = actual === undefined ? null : actual;
    const satisfied = effective === req.value || (req.value === '""' && effective === null);
    if (!satisfied) unmet.push({ requirement: req, actual });
  }
  return unmet;
}

export function describeUnmet(u: Unmet): string {
  const want = u.requirement.value === null ? 'not set' : `=${u.requirement.value}`;
  const got = u.actual === undefined ? 'absent (a dependency is off)' : u.actual === null ? 'not set' : `=${u.actual}`;
  return `${u.requirement.name} wanted ${want}, got ${got} (${u.requirement.origin})`;
}

/** The options that differ between two configs, as "NAME: old -> new" lines. */
export function configChanges(before: Map<string, ConfigValue>, after: Map<string, ConfigValue>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  const show = (v: ConfigValue | undefined) => (v === undefined ? '(absent)' : v === null ? 'n' : v);
  const changes: string[] = [];
  for (const name of [...names].sort()) {
    const a = before.get(name);
    const b = after.get(name);
    const same = a === b || ((a === null || a === undefined) && (b === null || b === undefined));
    if (!same) changes.push(`${name}: ${show(a)} -> ${show(b)}`);
  }
  return changes;
}

/**
 * "6.1.192" (as `make kernelversion` says it) from the top-level
 * Makefile's VERSION, PATCHLEVEL, SUBLEVEL and EXTRAVERSION.
 */
export function kernelVersionFromMakefile(makefile: string): string {
  const get = (key: string) => new RegExp(`^${key}[ \\t]*=[ \\t]*(.*)$`, 'm').exec(makefile)?.[1]?.trim() ?? '';
  const version = get('VERSION');
  if (!version) throw new Error('not a kernel Makefile: no VERSION');
  const sub = get('SUBLEVEL');
  return `${version}.${get('PATCHLEVEL')}${sub ? `.${sub}` : ''}${get('EXTRAVERSION')}`;
}
