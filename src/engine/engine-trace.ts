import { ARMED_MARK } from './kprobe-plan.js';

/**
 * The engine instance's trace as records (pure). With the stacktrace and
 * sym-addr options each probe event is followed, on its CPU, by its stack:
 *
 *   "  sh-52  [001] d..1.  12.345678: b0s1: (compact_zone+0x4/0x9a0 <ffffffff811c1de4>) c0=0x1"
 *   "  sh-52  [001] d..1.  12.345679: <stack trace>"
 *   " => compact_zone+0x5/0x9a0 <ffffffff811c1de5>"
 *   "  lab-write-607  [000] .....  116.845190: tracing_mark_write+0xd9/0x230 <ffffffff8110efe9>: lab-engine-armed"
 */
export interface ProbeHit {
  event: string;
  cpu: number;
  /** null where the kernel's comm cache had no name ("<...>"). */
  comm: string | null;
  pid: number;
  /** The trace clock, seconds. */
  timestamp: number;
  /** Fetch-args by name (c0, c1...), as the kernel printed them. */
  args: Record<string, string>;
  /** Addresses, innermost first: the probed instruction's, then return addresses. */
  stack: bigint[];
}

export interface EngineTrace {
  hits: ProbeHit[];
  /** When the events were armed, on the trace clock (the marker lab wrote). */
  armedAt: number | null;
  /** Probe events whose stack never came (the buffer filled between the two). */
  withoutStack: number;
}

const HEADER = /^\s*(.+)-(\d+)\s+\[(\d+)\]\s+(?:\S+\s+)?(\d+\.\d+):\s+(.*)$/;
// with sym-offset and sym-addr on, the marker's own site is printed too
const MARK_BODY = /^tracing_mark_write(?:\+0x[0-9a-f]+\/0x[0-9a-f]+)?(?: <[0-9a-f]+>)?: (.*)$/;
const PROBE_BODY = /^([\w.]+): \((.*?)\)(.*)$/;
const STACK_ENTRY = /^\s*=> .*<([0-9a-f]+)>\s*$/;

function probeArgs(text: string): Record<string, string> {
  const args: Record<string, string> = {};
  // c0=0x1 c1="a string" c2=123
  for (const m of text.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)) args[m[1]!] = m[2]!;
  return args;
}

export function parseEngineTrace(text: string, probeEvents: ReadonlySet<string>): EngineTrace {
  const hits: ProbeHit[] = [];
  let armedAt: number | null = null;
  // per CPU: the hit whose stack comes next
  const awaiting = new Map<number, ProbeHit>();
  let collecting: ProbeHit | undefined;
  for (const line of text.split('\n')) {
    if (collecting) {
      const entry = STACK_ENTRY.exec(line);
      if (entry) {
        collecting.stack.push(BigInt(`0x${entry[1]}`));
        continue;
      }
      collecting = undefined;
    }
    if (!line || line.startsWith('#')) continue;
    const h = HEADER.exec(line);
    if (!h) continue;
    const cpu = Number(h[3]);
    const body = h[5]!;
    if (body.startsWith('<stack trace>')) {
      const hit = awaiting.get(cpu);
      awaiting.delete(cpu);
      if (hit) collecting = hit;
      continue;
    }
    const mark = MARK_BODY.exec(body);
    if (mark) {
      if (mark[1]!.trim() === ARMED_MARK && armedAt === null) armedAt = Number(h[4]);
      continue;
    }
    const probe = PROBE_BODY.exec(body);
    if (!probe || !probeEvents.has(probe[1]!)) continue;
    const comm = h[1]!.trim();
    const hit: ProbeHit = {
      event: probe[1]!,
      cpu,
      comm: comm === '<...>' ? null : comm,
      pid: Number(h[2]),
      timestamp: Number(h[4]),
      args: probeArgs(probe[3]!),
      stack: [],
    };
    hits.push(hit);
    awaiting.set(cpu, hit);
  }
  return { hits, armedAt, withoutStack: hits.filter((x) => x.stack.length === 0).length };
}

/**
 * kprobe_profile: "  b0s1   39915   0" (event, hits, misses); kernels that
 * print the group ("lab_engine/b0s1") count only lab's group.
 */
export function parseKprobeProfile(text: string, group: string): Map<string, { hits: number; misses: number }> {
  const out = new Map<string, { hits: number; misses: number }>();
  for (const line of text.split('\n')) {
    const m = /^\s*(?:([\w.-]+)\/)?([\w.-]+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
    if (m && (m[1] === undefined || m[1] === group)) out.set(m[2]!, { hits: Number(m[3]), misses: Number(m[4]) });
  }
  return out;
}

/** A per_cpu/cpuN/stats file's counts: entries, overrun, dropped events... */
export function parseBufferStats(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z ]+):\s*(\d+)\s*$/.exec(line.trim());
    if (m) out[m[1]!.replace(/ /g, '_')] = Number(m[2]);
  }
  return out;
}
