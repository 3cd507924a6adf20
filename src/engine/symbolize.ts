import path from 'node:path';
import { executeChecked } from '../process/runner.js';
import type { Command } from '../process/command.js';
import { BUILD_PREFIX, SOURCE_PREFIX } from '../kernel/plan.js';

/** One level of an address's inline chain: what gdb shows as one frame. */
export interface SourceFrame {
  function: string | null;
  file: string | null;
  line: number | null;
}

/** Innermost first: the inlined callee(s), then the function they were inlined into. */
export type InlineChain = SourceFrame[];

/**
 * addr2line reads addresses on stdin and, with -a, heads each answer with the
 * address, so a chain of any length is read back unambiguously; -i expands
 * inlined frames from vmlinux's DWARF as gdb does. (Measured against gdb in
 * batch and llvm-symbolizer in BENCHMARKS.md.)
 */
export function addr2lineCommand(vmlinux: string): Command {
  return { program: 'addr2line', args: ['-a', '-f', '-i', '-e', vmlinux], what: 'addr2line (symbolising stacks)' };
}

function sourceFile(text: string): { file: string | null; line: number | null } {
  const m = /^(.*):(\d+|\?)(?: \(discriminator \d+\))?$/.exec(text.trim());
  if (!m || m[1] === '??') return { file: null, line: null };
  let file = path.normalize(m[1]!);
  // relative to the tree or the build directory, as gdb's symtab names them
  for (const prefix of [SOURCE_PREFIX, BUILD_PREFIX])
    if (file.startsWith(`${prefix}/`)) file = file.slice(prefix.length + 1);
  const line = m[2] === '?' ? null : Number(m[2]);
  return { file, line: line || null };
}

/** addr2line -a -f -i output: "0xADDR", then function and file:line pairs (pure). */
export function parseAddr2line(output: string): Map<bigint, InlineChain> {
  const chains = new Map<bigint, InlineChain>();
  let current: InlineChain | undefined;
  let fn: string | null | undefined;
  for (const raw of output.split('\n')) {
    const line = raw.trimEnd();
    if (!line) continue;
    if (fn === undefined && /^0x[0-9a-f]+$/.test(line)) {
      current = [];
      chains.set(BigInt(line), current);
      continue;
    }
    if (!current) continue;
    if (fn === undefined) {
      fn = line === '??' ? null : line;
    } else {
      current.push({ function: fn, ...sourceFile(line) });
      fn = undefined;
    }
  }
  return chains;
}

/** nm -S: every defined symbol, with its size where it has one. */
export function nmCommand(vmlinux: string): Command {
  return { program: 'nm', args: ['-S', '--defined-only', vmlinux], what: 'nm (naming assembly frames)' };
}

/**
 * vmlinux's text symbols, for what DWARF has no function for (assembly:
 * entry_SYSCALL_64). As gdb's minimal symbols: the function whose size
 * covers the address wins over a label inside it
 * (entry_SYSCALL_64_after_hwframe), else the nearest symbol below it.
 */
export class SymbolTable {
  private readonly labels: Set<string>;

  private constructor(private readonly rows: Array<{ address: bigint; size: bigint | null; name: string }>) {
    this.labels = new Set(rows.filter((r) => r.size === null).map((r) => r.name));
  }

  /**
   * The outermost frame's name: addr2line names assembly by the nearest
   * symbol, a label inside a function (entry_SYSCALL_64_after_hwframe),
   * where gdb names the function around it (entry_SYSCALL_64).
   */
  functionName(name: string | null, address: bigint): string | null {
    if (name === null || this.labels.has(name)) return this.nameAt(address) ?? name;
    return name;
  }

  static parse(nmOutput: string): SymbolTable {
    const rows: Array<{ address: bigint; size: bigint | null; name: string }> = [];
    for (const line of nmOutput.split('\n')) {
      const m = /^([0-9a-f]+)(?: ([0-9a-f]+))? [tTwW] (\S+)$/.exec(line);
      if (m) rows.push({ address: BigInt(`0x${m[1]}`), size: m[2] ? BigInt(`0x${m[2]}`) : null, name: m[3]! });
    }
    rows.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    return new SymbolTable(rows);
  }

  static async load(vmlinux: string): Promise<SymbolTable> {
    return SymbolTable.parse(
      (await executeChecked(nmCommand(vmlinux), { timeoutMs: 120_000 })).stdout.toString('utf8'),
    );
  }

  nameAt(address: bigint): string | null {
    let lo = 0;
    let hi = this.rows.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.rows[mid]!.address <= address) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return null;
    // a label inside a function: the function around it, if one covers the address
    for (let i = found; i >= 0 && i > found - 16; i--) {
      const r = this.rows[i]!;
      if (r.size !== null && address < r.address + r.size) return r.name;
    }
    return this.rows[found]!.name;
  }
}

/**
 * Every address's inline chain, each looked up once: the cache (per kernel)
 * answers the ones seen before, one addr2line run the rest.
 */
export async function symbolize(
  vmlinux: string,
  addresses: Iterable<bigint>,
  cache = new Map<bigint, InlineChain>(),
  signal?: AbortSignal,
): Promise<Map<bigint, InlineChain>> {
  const wanted = [...new Set(addresses)].filter((a) => !cache.has(a));
  if (wanted.length) {
    const input = wanted.map((a) => `0x${a.toString(16)}`).join('\n') + '\n';
    const r = await executeChecked(addr2lineCommand(vmlinux), { input, timeoutMs: 300_000, signal });
    for (const [address, chain] of parseAddr2line(r.stdout.toString('utf8'))) cache.set(address, chain);
    for (const a of wanted) if (!cache.has(a)) cache.set(a, [{ function: null, file: null, line: null }]);
  }
  return cache;
}
