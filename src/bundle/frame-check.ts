import type { InlineChain, SourceFrame } from '../engine/symbolize.js';

/** A frame as a hits.jsonl of someone else's run records it. */
export interface RecordedFrame {
  function: string | null;
  file: string | null;
  line: number | null;
  pc: string;
  inlined: boolean;
}

export interface RecordedHit {
  seq: number | null;
  breakpoint: string;
  frames: RecordedFrame[];
}

/** What vmlinux says, looked up before the hits are judged (kernel-witness.ts). */
export interface KernelFacts {
  /** Where a breakpoint's location stops (each site's address and its kprobe address), or why it has none. */
  sites: Map<string, Set<bigint> | string>;
  /** Each looked-up address's inline chain, innermost first. */
  chains: Map<bigint, InlineChain>;
  /** Whether the instruction just before each caller pc is a call. */
  calls: Map<bigint, boolean>;
  /**
   * gdb's line-table row for an address, where the hit's innermost line is
   * not addr2line's: gdb and addr2line read some rows of newer DWARF
   * differently, and gdb recorded the hit.
   */
  lines: Map<bigint, { file: string | null; line: number | null }>;
  /** gdb's name for an address DWARF names by a label or not at all (assembly: entry_SYSCALL_64). */
  functionAt(name: string | null, address: bigint): string | null;
}

/** A breakpoint's location, if it is plain enough to hand to gdb: a function, or FILE:LINE (pure). */
export function plainLocation(breakpoint: string): string | undefined {
  const location = breakpoint.trim().split(/\s+if\s|\s/)[0] ?? '';
  return /^[A-Za-z_][A-Za-z0-9_.]{0,127}$/.test(location) || /^[A-Za-z0-9_./-]{1,200}:\d{1,7}$/.test(location)
    ? location
    : undefined;
}

/** A pc as recorded ("0xffffffff811d4ce0"), or undefined when it is not one. */
export function parsePc(pc: string): bigint | undefined {
  return /^0x[0-9a-f]{1,16}$/i.test(pc) ? BigInt(pc) : undefined;
}

/**
 * A hit's frames as the machine's frames: a run of inlined frames at one pc
 * and the function they were inlined into make one, innermost first (pure).
 */
export function physicalFrames(frames: RecordedFrame[]): RecordedFrame[][] | string {
  const groups: RecordedFrame[][] = [];
  let current: RecordedFrame[] = [];
  for (const [i, f] of frames.entries()) {
    if (current.length && current[0]!.pc !== f.pc)
      return `frame ${i - 1} is marked inlined, but its caller has another pc`;
    current.push(f);
    if (!f.inlined) {
      groups.push(current);
      current = [];
    }
  }
  if (current.length) groups.push(current);
  return groups;
}

/** A machine frame of a hit: its frames, its pc, and the address symbolised for it. */
interface MachineFrame {
  k: number;
  group: RecordedFrame[];
  pc: bigint | undefined;
  /** pc at frame 0; pc - 1 for a return address, as gdb looks it up. */
  lookup: bigint | undefined;
}

function machineFrames(groups: RecordedFrame[][]): MachineFrame[] {
  return groups.map((group, k) => {
    const pc = parsePc(group[0]!.pc);
    return { k, group, pc, lookup: pc === undefined ? undefined : k === 0 ? pc : pc - 1n };
  });
}

/**
 * The part of vmlinux's inline chain a machine frame's frames match (pure):
 * stopped where an inlined callee begins, gdb shows the frame it is about to
 * enter, not the callee, so at frame 0 extra innermost levels are hidden.
 */
function shownChain(whole: InlineChain, m: MachineFrame): { chain: InlineChain; hidden: number } {
  const hidden = m.k === 0 ? Math.max(0, whole.length - m.group.length) : 0;
  return { chain: whole.slice(hidden), hidden };
}

const show = (f: Pick<SourceFrame, 'function' | 'file' | 'line'>) =>
  `${f.function ?? '??'} ${f.file ?? '??'}:${f.line ?? '?'}`;

function samePlace(recorded: RecordedFrame, known: { file: string | null; line: number | null } | undefined) {
  return known !== undefined && recorded.file === known.file && recorded.line === known.line;
}

/**
 * Why a hit is not what vmlinux says, or undefined when every frame is (pure):
 * frame 0's pc is a site of its breakpoint; each caller's pc follows a call;
 * each pc symbolises (pc - 1 for a return address, as gdb looks it up) to
 * the recorded function, file, line and inline chain.
 */
export function hitProblem(hit: RecordedHit, facts: KernelFacts): string | undefined {
  const at = (i: number, f: RecordedFrame) => `hit ${hit.seq ?? '?'} frame ${i} (${f.function ?? '??'} at ${f.pc})`;
  if (hit.frames.length === 0) return `hit ${hit.seq ?? '?'} has no frames`;
  const groups = physicalFrames(hit.frames);
  if (typeof groups === 'string') return `hit ${hit.seq ?? '?'}: ${groups}`;
  let index = 0;
  for (const m of machineFrames(groups)) {
    const { k, group, pc, lookup } = m;
    const first = group[0]!;
    if (pc === undefined || lookup === undefined) return `${at(index, first)}: the pc is not an address`;
    if (k === 0) {
      const location = plainLocation(hit.breakpoint);
      const sites = location === undefined ? undefined : facts.sites.get(location);
      if (sites === undefined) return `${at(index, first)}: its breakpoint is no plain function or FILE:LINE`;
      if (typeof sites === 'string') return `${at(index, first)}: vmlinux has no ${location}: ${sites}`;
      if (!sites.has(pc)) return `${at(index, first)}: not a site of the breakpoint ${location} in vmlinux`;
    } else if (!facts.calls.get(pc)) {
      return `${at(index, first)}: no call instruction ends at this pc in vmlinux (not a return address)`;
    }
    const { chain, hidden } = shownChain(facts.chains.get(lookup) ?? [], m);
    if (chain.length !== group.length)
      return (
        `${at(index, first)}: vmlinux has ${chain.length} function(s) at this pc ` +
        `(${chain.map(show).join(' < ') || 'none'}), the hit ${group.length}`
      );
    for (const [j, f] of group.entries()) {
      const known = { ...chain[j]!, function: facts.functionAt(chain[j]!.function, lookup) };
      const placed = samePlace(f, known) || (j === 0 && hidden === 0 && samePlace(f, facts.lines.get(lookup)));
      if (f.function !== known.function || !placed)
        return `${at(index + j, f)}: vmlinux has ${show(known)} there, the hit ${show(f)}`;
    }
    index += group.length;
  }
  return undefined;
}

/**
 * The lookups where the hit's innermost file and line are not addr2line's
 * (pure): gdb's line table is asked about these before the hit is judged.
 */
export function disputedLines(hit: RecordedHit, chains: Map<bigint, InlineChain>): bigint[] {
  const groups = physicalFrames(hit.frames);
  if (typeof groups === 'string') return [];
  return machineFrames(groups).flatMap((m) => {
    if (m.lookup === undefined) return [];
    const innermost = shownChain(chains.get(m.lookup) ?? [], m).chain[0];
    return samePlace(m.group[0]!, innermost) ? [] : [m.lookup];
  });
}

/** The addresses a hit's check looks up: frame 0's pc and each caller's pc - 1 (pure). */
export function lookupsOf(hit: RecordedHit): { chains: bigint[]; calls: bigint[] } {
  const groups = physicalFrames(hit.frames);
  if (typeof groups === 'string') return { chains: [], calls: [] };
  const frames = machineFrames(groups);
  return {
    chains: frames.flatMap((m) => (m.lookup === undefined ? [] : [m.lookup])),
    calls: frames.flatMap((m) => (m.k > 0 && m.pc !== undefined ? [m.pc] : [])),
  };
}
