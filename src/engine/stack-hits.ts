import { ENTRY_POINTS, MAX_FRAMES } from '../gdb/backtrace-limits.js';
import type { Capture, Frame, Hit } from '../gdb/hits.js';
import type { ProbeHit } from './engine-trace.js';
import type { ProbeSite } from './kprobe-plan.js';
import type { InlineChain, SymbolTable } from './symbolize.js';

/**
 * Kernel stacks recorded in the guest, as the gdb engine's hit records
 * (pure): the same fields, frames and inline frames, so every report,
 * export and check reads either engine's hits.jsonl.
 */

/** The saved instruction pointer is the probed one, or one past it (int3 traps after itself). */
const PROBED_IP_SLACK = 16n;

/** The stack's return addresses: the probed instruction's own entry dropped. */
export function returnAddresses(stack: bigint[], site: bigint): bigint[] {
  const first = stack[0];
  return first !== undefined && first >= site && first < site + PROBED_IP_SLACK ? stack.slice(1) : stack;
}

/** What to look up: each site as it is, each return address minus one (inside its call, as gdb looks it up). */
export function addressesToSymbolize(hits: ProbeHit[], sites: Map<string, ProbeSite>): Set<bigint> {
  const wanted = new Set<bigint>();
  for (const s of sites.values()) wanted.add(s.address);
  for (const h of hits) {
    const site = sites.get(h.event);
    if (!site) continue;
    for (const r of returnAddresses(h.stack, site.probe)) wanted.add(r - 1n);
  }
  return wanted;
}

function chainFrames(chain: InlineChain | undefined, lookup: bigint, pc: bigint, symbols: SymbolTable): Frame[] {
  const levels = chain?.length ? chain : [{ function: null, file: null, line: null }];
  const hex = `0x${pc.toString(16)}`;
  return levels.map((level, i) => ({
    function: i === levels.length - 1 ? symbols.functionName(level.function, lookup) : level.function,
    file: level.file,
    line: level.line,
    pc: hex,
    inlined: i < levels.length - 1,
  }));
}

/** frame 0's chain at the site, then one chain per return address; trimmed after the kernel's entry. */
/**
 * Frame 0's chain as gdb shows it at a breakpoint on a function: gdb skips
 * the inline levels inside the breakpoint's own block that start at the
 * same pc (GCC nests a copy of isolation_suitable in itself), so the
 * function's outermost level is frame 0.
 */
export function siteChain(chain: InlineChain | undefined, functionName: string | undefined): InlineChain | undefined {
  if (!chain || !functionName) return chain;
  const outermost = chain.map((level) => level.function).lastIndexOf(functionName);
  return outermost > 0 ? chain.slice(outermost) : chain;
}

export function framesOf(
  stack: bigint[],
  site: Pick<ProbeSite, 'address' | 'probe' | 'functionName'>,
  chains: Map<bigint, InlineChain>,
  symbols: SymbolTable,
): { frames: Frame[]; trimmed: boolean } {
  const at = site.address;
  const all = [
    chainFrames(siteChain(chains.get(at), site.functionName), at, at, symbols),
    ...returnAddresses(stack, site.probe).map((r) => chainFrames(chains.get(r - 1n), r - 1n, r, symbols)),
  ].flat();
  const frames: Frame[] = [];
  for (const frame of all) {
    frames.push(frame);
    if ((frame.function !== null && ENTRY_POINTS.has(frame.function)) || frames.length >= MAX_FRAMES) break;
  }
  return { frames, trimmed: frames.length < all.length };
}

/** A fetch-arg as printed ("0x1a", "-3", "\"kcompactd0\"", "(fault)") as a capture. */
export function captureValue(text: string | undefined): Capture {
  if (text === undefined) return { error: 'not fetched' };
  if (text === '(fault)') return { error: 'fault: the address could not be read' };
  if (/^0x[0-9a-f]+$/i.test(text)) {
    const n = BigInt(text);
    return { value: n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : text };
  }
  if (/^-?\d+$/.test(text)) return { value: Number(text) };
  if (/^".*"$/s.test(text)) return { value: text.slice(1, -1) };
  return { value: text };
}

export interface HitBuildOptions {
  sites: Map<string, ProbeSite>;
  captures: string[];
  chains: Map<bigint, InlineChain>;
  symbols: SymbolTable;
  /** The trace clock when the probes were armed, and the host's clock then (ms). */
  armedAt: number | null;
  armedWallMs: number;
  /** 0: every hit. */
  count: number;
  maxPerBreak: number;
}

export function buildHits(probeHits: ProbeHit[], o: HitBuildOptions): Hit[] {
  const start = o.armedAt ?? probeHits[0]?.timestamp ?? 0;
  const perBreak = new Map<string, number>();
  const hits: Hit[] = [];
  for (const p of probeHits) {
    const site = o.sites.get(p.event);
    if (!site) continue;
    const taken = perBreak.get(site.breakpoint) ?? 0;
    if (o.maxPerBreak && taken >= o.maxPerBreak) continue;
    perBreak.set(site.breakpoint, taken + 1);
    const { frames, trimmed } = framesOf(p.stack, site, o.chains, o.symbols);
    const elapsed = Math.max(0, Math.round((p.timestamp - start) * 1e6) / 1e6);
    const top = frames[0]!;
    const hit: Hit = {
      seq: hits.length + 1,
      time: new Date(o.armedWallMs + elapsed * 1000).toISOString(),
      elapsed,
      breakpoint: site.breakpoint,
      function: top.function,
      file: top.file,
      line: top.line,
      cpu: p.cpu,
      comm: p.comm,
      pid: p.pid,
      site: site.site,
      sites: site.sites,
      frames,
      trimmed,
    };
    if (o.captures.length)
      hit.captures = Object.fromEntries(o.captures.map((c, i) => [c, captureValue(p.args[`c${i}`])]));
    if (p.stack.length === 0) hit.frames_error = 'the stack was not recorded (the ring buffer was full)';
    hits.push(hit);
    if (o.count && hits.length >= o.count) break;
  }
  return hits;
}
