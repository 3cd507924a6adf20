import { LabError } from '../errors.js';
import type { TracefsWrite } from '../trace/plan.js';

/**
 * lab debug --engine guest, as tracefs writes (pure). The kernel records each
 * hit itself: one kprobe event per breakpoint site, in a tracing instance of
 * lab's own, whose "stacktrace" option stores the stack after every event.
 * The option (not the stacktrace trigger) because it unwinds from the
 * probe's saved registers: the stack starts at the probed instruction, with
 * no kprobe handler frames to skip by guesswork.
 */

export const TRACEFS = '/sys/kernel/tracing';
/** kprobe events are global; lab's are all in this group, so lab removes only its own. */
export const PROBE_GROUP = 'lab_engine';
/** Lab's own ring buffer and options: the top-level tracer (lab trace, a user's) is untouched. */
export const INSTANCE = `instances/${PROBE_GROUP}`;
export const INSTANCE_DIR = `${TRACEFS}/${INSTANCE}`;
export const ARMED_MARK = 'lab-engine-armed';
/** Per CPU; about 220 bytes per hit with a 20-frame stack, so 16 MiB holds some 75,000 hits per CPU. */
export const DEFAULT_BUFFER_KB = 16_384;
/** kprobe_events takes a write of at most a page; far more sites than any breakpoint has. */
export const MAX_SITES = 48;

export interface ProbeSite {
  /** The --break as the user wrote it. */
  breakpoint: string;
  /** 1-based among the breakpoint's sites, of sites. */
  site: number;
  sites: number;
  address: bigint;
  /**
   * Where the probe is: the site, or past the prologue of a function's
   * first instruction (gdb-scripts/lab_gdb/sites.py).
   */
  probe: bigint;
  /** A function breakpoint's function: frame 0 starts at its outermost inline level, as gdb's does. */
  functionName?: string;
  /** The kprobe event's name in PROBE_GROUP. */
  event: string;
}

export function probeEventName(breakpointIndex: number, site: number): string {
  return `b${breakpointIndex}s${site}`;
}

// what kprobe fetch-args can read: registers, arguments, the stack, memory at
// a symbol or address, and dereferences of those, each with an optional type
const FETCH_BASE =
  /^(%[a-z0-9]+|\$arg[1-9]\d*|\$stack\d*|\$retval|\$comm|@[\w.]+([+-](0x[0-9a-f]+|\d+))?|@0x[0-9a-f]+)$/i;
const DEREF = /^[+-]?u?(0x[0-9a-f]+|\d+)\((.+)\)$/i;
const FETCH_TYPE = /^(u8|u16|u32|u64|s8|s16|s32|s64|x8|x16|x32|x64|string|ustring|symbol)$/;

function isFetchArg(expr: string): boolean {
  const deref = DEREF.exec(expr);
  if (deref) return isFetchArg(deref[2]!);
  return FETCH_BASE.test(expr);
}

/** A --capture as a kprobe fetch-arg (pure): "%di", "$arg1", "+8(%di):u32", or one clear error. */
export function fetchArgOf(capture: string): string {
  const text = capture.trim();
  const [expr, type, extra] = text.split(':');
  if (extra !== undefined || !expr || !isFetchArg(expr) || (type !== undefined && !FETCH_TYPE.test(type))) {
    throw new LabError('BAD_OPTION', `--capture ${capture} is not something a kprobe can read`, {
      hint:
        'with --engine guest give a register (%di on x86_64, %x0 on arm64), an argument ($arg1), $stackN, @symbol ' +
        'or +OFFSET(%reg), optionally :u32/:s64/:string; C expressions need --engine gdb',
    });
  }
  return text;
}

/** The kprobe_events lines that create every probe, captures named c0, c1... */
export function probeDefinitions(sites: ProbeSite[], captures: string[]): string {
  if (sites.length > MAX_SITES) {
    throw new LabError(
      'BAD_OPTION',
      `the breakpoints have ${sites.length} sites; --engine guest places at most ${MAX_SITES} probes`,
      { hint: 'name fewer or narrower breakpoints, or use --engine gdb' },
    );
  }
  const args = captures.map((c, i) => `c${i}=${fetchArgOf(c)}`);
  return sites.map((s) => [`p:${PROBE_GROUP}/${s.event}`, `0x${s.probe.toString(16)}`, ...args].join(' ')).join('\n');
}

/** The instance's setup once the probes exist: buffer, options, events on, then the mark that says when. */
export function instanceSetup(bufferKb: number): TracefsWrite[] {
  if (!Number.isInteger(bufferKb) || bufferKb < 64)
    throw new LabError('BAD_OPTION', `--buffer-kb ${bufferKb} is too small`, {
      hint: `give 64 or more (default ${DEFAULT_BUFFER_KB}, per CPU)`,
    });
  const i = INSTANCE;
  return [
    [`${i}/tracing_on`, '0'],
    [`${i}/buffer_size_kb`, String(bufferKb)],
    // a full buffer keeps the first hits and counts the rest as dropped
    [`${i}/options/overwrite`, '0'],
    [`${i}/options/stacktrace`, '1'],
    [`${i}/options/sym-offset`, '1'],
    [`${i}/options/sym-addr`, '1'],
    [`${i}/events/${PROBE_GROUP}/enable`, '1'],
    [`${i}/tracing_on`, '1'],
    [`${i}/trace_marker`, ARMED_MARK],
  ];
}

/** The probes of lab's group that kprobe_events lists (stale ones from a killed run included). */
export function labProbesIn(kprobeEvents: string): string[] {
  const names: string[] = [];
  for (const line of kprobeEvents.split('\n')) {
    const m = /^[pr]:([\w.-]+)\/([\w.-]+)\s/.exec(line);
    if (m && m[1] === PROBE_GROUP) names.push(m[2]!);
  }
  return names;
}

/** The lines that remove those probes, and nothing else. */
export function probeRemovals(names: string[]): string {
  return names.map((n) => `-:${PROBE_GROUP}/${n}`).join('\n');
}
