import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../config/paths.js';
import { LabError } from '../errors.js';
import { execute } from '../process/runner.js';
import type { Command } from '../process/command.js';
import type { BreakpointRequest } from './breakpoint-spec.js';
import { gdbArgs, onDebugger, vmlinuxArch } from './gdb-command.js';
import { parseRecorderEvent } from './recorder-events.js';

export interface ResolvedSite {
  address: bigint;
  /** Where a kprobe records it: the site, or past the prologue when the site is a function's first instruction. */
  probe: bigint;
  function: string | null;
  file: string | null;
  line: number | null;
}

export type SiteAnswer = { spec: string; sites: ResolvedSite[] } | { spec: string; error: string };

/** gdb on vmlinux alone, printing where each breakpoint would stop (gdb-scripts/lab_gdb/sites.py). */
export function gdbSitesCommand(vmlinux: string, configFile: string): Command {
  return {
    program: 'gdb',
    args: gdbArgs(vmlinux, path.join(projectRoot(), 'gdb-scripts', 'lab_sites.py')),
    env: { LAB_RECORDER_CONFIG: configFile },
    what: 'gdb resolving breakpoint sites',
  };
}

/** The "sites" event's breakpoints (pure). */
export function parseSitesEvent(output: string): SiteAnswer[] | undefined {
  for (const line of output.split('\n')) {
    const e = parseRecorderEvent(line);
    if (e?.event !== 'sites' || !Array.isArray(e.breakpoints)) continue;
    return (e.breakpoints as Array<Record<string, unknown>>).map((b) => {
      const spec = String(b.spec);
      if (typeof b.error === 'string') return { spec, error: b.error };
      const sites = (b.sites as Array<Record<string, unknown>>).map((s) => ({
        address: BigInt(String(s.address)),
        probe: BigInt(String(s.probe ?? s.address)),
        function: typeof s.function === 'string' ? s.function : null,
        file: typeof s.file === 'string' ? s.file : null,
        line: typeof s.line === 'number' ? s.line : null,
      }));
      return { spec, sites };
    });
  }
  return undefined;
}

/** The "lines" event: gdb's line-table row for each address asked (pure). */
export function parseLinesEvent(output: string): Map<bigint, { file: string | null; line: number | null }> {
  const out = new Map<bigint, { file: string | null; line: number | null }>();
  for (const line of output.split('\n')) {
    const e = parseRecorderEvent(line);
    if (e?.event !== 'lines' || typeof e.lines !== 'object' || e.lines === null) continue;
    for (const [address, row] of Object.entries(e.lines as Record<string, { file?: unknown; line?: unknown }>))
      out.set(BigInt(address), {
        file: typeof row.file === 'string' ? row.file : null,
        line: typeof row.line === 'number' ? row.line : null,
      });
  }
  return out;
}

/** Every site of every breakpoint, as gdb would place them; the log goes to logFile. */
export async function resolveSites(
  vmlinux: string,
  requests: BreakpointRequest[],
  configFile: string,
  logFile: string,
  signal?: AbortSignal,
): Promise<SiteAnswer[]> {
  return (await askGdb(vmlinux, requests, [], configFile, logFile, signal)).sites;
}

/** Sites of breakpoints and line-table rows of addresses, in one gdb run on vmlinux. */
export async function askGdb(
  vmlinux: string,
  requests: BreakpointRequest[],
  lines: bigint[],
  configFile: string,
  logFile: string,
  signal?: AbortSignal,
): Promise<{ sites: SiteAnswer[]; lines: ReturnType<typeof parseLinesEvent> }> {
  const breakpoints = requests.map(({ spec, location, condition }) => ({ spec, location, condition }));
  const addresses = lines.map((a) => `0x${a.toString(16)}`);
  await writeFile(configFile, JSON.stringify({ breakpoints, lines: addresses }, null, 2));
  const command = onDebugger(gdbSitesCommand(vmlinux, configFile), await vmlinuxArch(vmlinux));
  const r = await execute(command, { logFile, timeoutMs: 300_000, signal });
  const stdout = r.stdout.toString('utf8');
  const answers = parseSitesEvent(stdout);
  if (!answers)
    throw new LabError(
      'GDB_FAILED',
      `gdb did not resolve the breakpoints (exit ${r.exitCode}): ${r.tail.at(-1) ?? ''}`,
      { hint: `see ${logFile}` },
    );
  return { sites: answers, lines: parseLinesEvent(stdout) };
}
