import path from 'node:path';
import tmp from 'tmp';
import { symbolize, SymbolTable, type InlineChain } from '../engine/symbolize.js';
import { askGdb } from '../gdb/sites.js';
import { ElfText } from '../util/elf-text.js';
import { CALL_WINDOW, callEndsAt } from './call-site.js';
import {
  disputedLines,
  hitProblem,
  lookupsOf,
  plainLocation,
  type KernelFacts,
  type RecordedHit,
} from './frame-check.js';

/** The most distinct addresses one run may ask vmlinux about: far above a real run, a bound on a forged one. */
export const MAX_LOOKUPS = 50_000;
/** The most distinct breakpoint locations one run may name. */
export const MAX_LOCATIONS = 64;

export interface HitsVerdict {
  hits: number;
  frames: number;
  /** The first hit that is not what vmlinux says, in words. */
  problem?: string;
}

/**
 * The class's kernel as a witness: what vmlinux says about every pc a run
 * recorded, each address looked up once for all the bundles of a check
 * (gdb for breakpoint sites, addr2line -i for inline chains, the text bytes
 * for calls).
 */
export class KernelWitness {
  private readonly chains = new Map<bigint, InlineChain>();
  private readonly calls = new Map<bigint, boolean>();
  private readonly sites = new Map<string, Set<bigint> | string>();
  private readonly lines = new Map<bigint, { file: string | null; line: number | null }>();
  private readonly scratch = tmp.dirSync({ prefix: 'lab-witness-', unsafeCleanup: true });

  private constructor(
    readonly vmlinux: string,
    private readonly symbols: SymbolTable,
    private readonly text: ElfText,
    private readonly signal?: AbortSignal,
  ) {}

  static async open(vmlinux: string, signal?: AbortSignal): Promise<KernelWitness> {
    const [symbols, text] = await Promise.all([SymbolTable.load(vmlinux), ElfText.open(vmlinux)]);
    return new KernelWitness(vmlinux, symbols, text, signal);
  }

  async check(hits: RecordedHit[]): Promise<HitsVerdict> {
    const frames = hits.reduce((n, h) => n + h.frames.length, 0);
    const chains = new Set<bigint>();
    const calls = new Set<bigint>();
    const locations = new Set<string>();
    for (const hit of hits) {
      const wanted = lookupsOf(hit);
      for (const a of wanted.chains) if (!this.chains.has(a)) chains.add(a);
      for (const a of wanted.calls) if (!this.calls.has(a)) calls.add(a);
      const location = plainLocation(hit.breakpoint);
      if (location !== undefined && !this.sites.has(location)) locations.add(location);
    }
    if (chains.size + calls.size > MAX_LOOKUPS)
      return {
        hits: hits.length,
        frames,
        problem: `${chains.size + calls.size} distinct pcs (the limit is ${MAX_LOOKUPS})`,
      };
    if (locations.size > MAX_LOCATIONS)
      return { hits: hits.length, frames, problem: `${locations.size} breakpoints (the limit is ${MAX_LOCATIONS})` };
    await Promise.all([this.lookUpChains(chains), this.lookUpCalls(calls)]);
    const disputed = new Set(hits.flatMap((h) => disputedLines(h, this.chains)).filter((a) => !this.lines.has(a)));
    if (disputed.size > MAX_LOOKUPS)
      return { hits: hits.length, frames, problem: `${disputed.size} lines not as addr2line has them` };
    await this.askGdb(locations, disputed);
    const facts: KernelFacts = {
      sites: this.sites,
      chains: this.chains,
      calls: this.calls,
      lines: this.lines,
      functionAt: (name, address) => this.symbols.functionName(name, address),
    };
    for (const hit of hits) {
      const problem = hitProblem(hit, facts);
      if (problem) return { hits: hits.length, frames, problem };
    }
    return { hits: hits.length, frames };
  }

  private async askGdb(locations: Set<string>, lines: Set<bigint>): Promise<void> {
    if (locations.size === 0 && lines.size === 0) return;
    const requests = [...locations].map((location) => ({
      spec: location,
      location,
      condition: null,
      kind: location.includes(':') ? ('line' as const) : ('function' as const),
    }));
    const dir = this.scratch.name;
    const answers = await askGdb(
      this.vmlinux,
      requests,
      [...lines],
      path.join(dir, 'breakpoints.json'),
      path.join(dir, 'gdb-sites.log'),
      this.signal,
    );
    for (const [address, row] of answers.lines) this.lines.set(address, row);
    for (const a of lines) if (!this.lines.has(a)) this.lines.set(a, { file: null, line: null });
    for (const a of answers.sites) {
      if ('error' in a) this.sites.set(a.spec, a.error);
      else this.sites.set(a.spec, new Set(a.sites.flatMap((s) => [s.address, s.probe])));
    }
    for (const l of locations) if (!this.sites.has(l)) this.sites.set(l, 'gdb did not answer for it');
  }

  private async lookUpChains(addresses: Set<bigint>): Promise<void> {
    await symbolize(this.vmlinux, addresses, this.chains, this.signal);
  }

  private async lookUpCalls(addresses: Set<bigint>): Promise<void> {
    for (const pc of addresses) {
      const code = await this.text.bytesBefore(pc, CALL_WINDOW);
      this.calls.set(pc, code !== undefined && callEndsAt(this.text.machine, code));
    }
  }

  async close(): Promise<void> {
    await this.text.close();
    this.scratch.removeCallback();
  }
}
