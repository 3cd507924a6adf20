import * as z from 'zod';
import { parseCheckedJson } from '../util/checked-json.js';
import { sha256 } from '../util/hash.js';
import { ARCHES } from '../arch/arch.js';

/**
 * lab.lock: every input of a lab and every output it builds, by hash or
 * version, so a student's machine can show it built the same lab. Pure: the
 * use case (lab/lock.ts) gathers the values.
 */
export const LOCK_VERSION = 3;

const PackagesSchema = z.record(z.string(), z.string());

/** What compiled the lab: the build root (suite and every package) or the host. Version 1 locks have none. */
export const ToolchainPinSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('host') }),
  z.strictObject({ kind: z.literal('root'), suite: z.string(), key: z.string(), packages: PackagesSchema }),
]);
export type ToolchainPin = z.infer<typeof ToolchainPinSchema>;

/** The store entries a class cache serves, by the name a lock gives each. */
// a QEMU lab builds is compiled by the host's gcc, so it is not the same bytes on every machine: not served
export const PINNED_ENTRIES = ['kernel', 'initramfs', 'debian image'] as const;
export type PinnedEntryName = (typeof PINNED_ENTRIES)[number];

/**
 * One store entry, whole: where it lives (kind/key) and the sha256 of its
 * file list (every path, size, mode and sha256; see cache/manifest.ts), so a
 * fetched entry is checked byte for byte against the lock before it is used.
 */
export const EntryPinSchema = z.strictObject({
  entry: z.string().regex(/^(kernels|rootfs)\/[0-9a-f]{32}$/, 'kind/key of a store entry'),
  files: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256'),
});
export type EntryPin = z.infer<typeof EntryPinSchema>;

export const LockSchema = z.strictObject({
  lockVersion: z.union([z.literal(1), z.literal(2), z.literal(LOCK_VERSION)]),
  lab: z.string(),
  inputs: z.strictObject({
    kernelSource: z.string(),
    kernelBase: z.string(),
    fragments: z.record(z.string(), z.string()),
    patches: z.array(z.string()),
    kernelConfig: z.string(),
    compiler: z.string(),
    toolchain: ToolchainPinSchema.optional(),
    /** The guest's architecture; a lock written before arm64 names none, and is x86_64. */
    arch: z.enum(ARCHES).optional(),
    qemu: z.string(),
    gdb: z.string(),
    rootfs: z.string(),
    guestPackages: PackagesSchema,
  }),
  outputs: z.record(z.string(), z.string()),
  /** Version 3: each store entry whole, what lab publish serves and a class cache is checked against. */
  entries: z.partialRecord(z.enum(PINNED_ENTRIES), EntryPinSchema).optional(),
});
export type LabLock = z.infer<typeof LockSchema>;

/** The lock file's text: keys in a fixed order, so equal locks are equal bytes. */
export function lockText(lock: LabLock): string {
  const sorted = (o: Record<string, string>) =>
    Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
  const toolchain = lock.inputs.toolchain;
  const canonical: LabLock = {
    lockVersion: lock.lockVersion,
    lab: lock.lab,
    inputs: {
      ...lock.inputs,
      fragments: sorted(lock.inputs.fragments),
      ...(toolchain
        ? { toolchain: toolchain.kind === 'root' ? { ...toolchain, packages: sorted(toolchain.packages) } : toolchain }
        : {}),
      guestPackages: sorted(lock.inputs.guestPackages),
    },
    outputs: sorted(lock.outputs),
    ...(lock.entries
      ? {
          entries: Object.fromEntries(PINNED_ENTRIES.flatMap((n) => (lock.entries?.[n] ? [[n, lock.entries[n]]] : []))),
        }
      : {}),
  };
  return JSON.stringify(canonical, null, 2) + '\n';
}

/** What a bundle records of the lock it was built against. */
export function lockDigest(lock: LabLock): string {
  return sha256(lockText(lock));
}

/** lab.lock's text, checked (pure): damaged text is named by where it stops being JSON, never quoted. */
export function parseLock(text: string, file: string): LabLock {
  return parseCheckedJson(text, file, LockSchema, 'LOCK_INVALID', {
    hint: 'fetch lab.lock again, or run lab lock',
  });
}

export interface LockRow {
  item: string;
  same: boolean;
  /**
   * A tool of this machine the lab runs but does not build (the system's
   * QEMU, gdb): shown, but a difference does not make the lab different.
   */
  hostTool?: boolean;
  pinned: string;
  here: string;
  /** What differs, in words: "gcc 12.2.0 -> gcc 13.1.0", "libc6 moved 2.36-9 -> 2.36-10". */
  detail?: string;
}

const INPUT_LABELS: Record<Exclude<keyof LabLock['inputs'], 'fragments' | 'guestPackages' | 'toolchain'>, string> = {
  kernelSource: 'kernel source',
  kernelBase: 'kernel base config',
  patches: 'patches',
  kernelConfig: 'kernel .config',
  compiler: 'compiler',
  arch: 'architecture',
  qemu: 'QEMU',
  gdb: 'gdb',
  rootfs: 'rootfs kind',
};

/** gdb is always the host's; QEMU is unless the lab built it from a pinned source. */
function isHostTool(key: keyof LabLock['inputs'], pinned: unknown): boolean {
  return key === 'gdb' || (key === 'qemu' && typeof pinned === 'string' && !pinned.includes(', built from '));
}

/** Whether this machine built the lab the lock pins: every row the same but the host's own tools (pure). */
export function labSame(rows: LockRow[]): boolean {
  return rows.every((r) => r.same || r.hostTool === true);
}

function short(v: string): string {
  return /^[0-9a-f]{64}$/.test(v) ? v.slice(0, 12) : v;
}

/** The guest packages that moved, appeared or went away (pure). */
export function packageChanges(pinned: Record<string, string>, here: Record<string, string>): string[] {
  const changes: string[] = [];
  for (const [name, version] of Object.entries(pinned)) {
    if (!(name in here)) changes.push(`${name} ${version} missing`);
    else if (here[name] !== version) changes.push(`${name} moved ${version} -> ${here[name]}`);
  }
  for (const [name, version] of Object.entries(here)) if (!(name in pinned)) changes.push(`${name} ${version} added`);
  return changes.sort();
}

function describeToolchain(t: ToolchainPin): string {
  return t.kind === 'host' ? "the host's" : `${t.suite} root, ${Object.keys(t.packages).length} packages`;
}

/** The build-root row: absent when the pinned lock predates build roots (pure). */
function toolchainRow(pinned: ToolchainPin | undefined, here: ToolchainPin | undefined): LockRow | undefined {
  if (!pinned) return undefined;
  const mine = here ?? { kind: 'host' as const };
  const a = describeToolchain(pinned);
  const b = describeToolchain(mine);
  if (pinned.kind === 'root' && mine.kind === 'root') {
    const moved = packageChanges(pinned.packages, mine.packages);
    if (pinned.suite !== mine.suite) moved.unshift(`suite ${pinned.suite} -> ${mine.suite}`);
    return {
      item: 'build root',
      same: moved.length === 0,
      pinned: a,
      here: b,
      ...(moved.length ? { detail: changeList(moved, 6) } : {}),
    };
  }
  return {
    item: 'build root',
    same: pinned.kind === mine.kind,
    pinned: a,
    here: b,
    ...(pinned.kind === mine.kind ? {} : { detail: `${a} -> ${b}` }),
  };
}

/** Changes joined by "; ", the first `shown` of them and how many more (pure). */
export function changeList(changes: string[], shown: number): string {
  const more = changes.length - shown;
  return more > 0 ? `${changes.slice(0, shown).join('; ')}; and ${more} more` : changes.join('; ');
}

/** Item by item, the pinned lock against the one this machine built (pure). */
export function compareLocks(pinned: LabLock, here: LabLock): LockRow[] {
  const rows: LockRow[] = [];
  const row = (item: string, a: string, b: string, detail?: string) =>
    rows.push({
      item,
      same: a === b,
      pinned: a,
      here: b,
      ...(a === b ? {} : { detail: detail ?? `${short(a)} -> ${short(b)}` }),
    });
  if (pinned.lab !== here.lab) row('lab', pinned.lab, here.lab);
  for (const [key, label] of Object.entries(INPUT_LABELS) as Array<[keyof typeof INPUT_LABELS, string]>) {
    const a = key === 'arch' ? (pinned.inputs.arch ?? 'x86_64') : pinned.inputs[key];
    const b = key === 'arch' ? (here.inputs.arch ?? 'x86_64') : here.inputs[key];
    row(label, Array.isArray(a) ? a.join(', ') || 'none' : a, Array.isArray(b) ? b.join(', ') || 'none' : b);
    if (isHostTool(key, a)) rows[rows.length - 1]!.hostTool = true;
  }
  const fragmentNames = [
    ...new Set([...Object.keys(pinned.inputs.fragments), ...Object.keys(here.inputs.fragments)]),
  ].sort();
  for (const name of fragmentNames) {
    row(`fragment ${name}`, pinned.inputs.fragments[name] ?? 'absent', here.inputs.fragments[name] ?? 'absent');
  }
  const rootRow = toolchainRow(pinned.inputs.toolchain, here.inputs.toolchain);
  if (rootRow) rows.push(rootRow);
  const moved = packageChanges(pinned.inputs.guestPackages, here.inputs.guestPackages);
  const count = (p: Record<string, string>) => `${Object.keys(p).length} packages`;
  rows.push({
    item: 'guest packages',
    same: moved.length === 0,
    pinned: count(pinned.inputs.guestPackages),
    here: count(here.inputs.guestPackages),
    ...(moved.length ? { detail: changeList(moved, 6) } : {}),
  });
  const outputNames = [...new Set([...Object.keys(pinned.outputs), ...Object.keys(here.outputs)])].sort();
  for (const name of outputNames) row(name, pinned.outputs[name] ?? 'absent', here.outputs[name] ?? 'absent');
  // a lock written before version 3 pins no entries: nothing to compare them with
  for (const name of PINNED_ENTRIES) {
    const a = pinned.entries?.[name];
    if (!a) continue;
    const b = here.entries?.[name];
    row(`${name} files`, a.files, b?.files ?? 'absent');
  }
  return rows;
}
