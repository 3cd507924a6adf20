import type { Guest } from '../guest/guest.js';
import { sleep } from '../util/sleep.js';
import {
  nodeFragmentationScore,
  parseBuddyinfo,
  parseExtfragIndex,
  parsePagetypeinfo,
  parseVmstat,
  parseZoneinfoPresent,
  type PagetypeInfo,
  type ZoneFree,
  type ZoneIndex,
} from './parse.js';
import type { Sample } from './sample.js';

export const SNAPSHOT_FILES = [
  '/proc/vmstat',
  '/proc/buddyinfo',
  '/proc/pagetypeinfo',
  '/proc/zoneinfo',
  '/sys/kernel/debug/extfrag/unusable_index',
  '/sys/kernel/debug/extfrag/extfrag_index',
] as const;

/** What the sampler reads each time: a sample (t, score, vmstat, buddyinfo) and the rest of the memory files. */
export interface Snapshot extends Sample {
  buddyinfo: ZoneFree[];
  pagetypeinfo?: PagetypeInfo;
  unusableIndex?: ZoneIndex[];
  extfragIndex?: ZoneIndex[];
}

/** Splits "tail -n +1 a b" output ("==> a <==" headers) into the files' texts (pure). */
export function splitTailOutput(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let current: string | undefined;
  const lines: string[] = [];
  const flush = () => {
    if (current) out[current] = lines.join('\n');
    lines.length = 0;
  };
  for (const line of text.split('\n')) {
    const m = /^==> (.+) <==$/.exec(line);
    if (m) {
      flush();
      current = m[1]!;
    } else if (current) lines.push(line);
  }
  flush();
  return out;
}

/** One snapshot from the texts of SNAPSHOT_FILES (pure). */
export function snapshotFromFiles(files: Record<string, string>, t: number): Snapshot {
  const buddyinfo = parseBuddyinfo(files['/proc/buddyinfo'] ?? '');
  const present = parseZoneinfoPresent(files['/proc/zoneinfo'] ?? '');
  const zones = buddyinfo
    .filter((z) => z.node === 0)
    .map((z) => ({ ...z, present: present.find((p) => p.node === z.node && p.zone === z.zone)?.present ?? 0 }));
  // zones with no free list still count in the node's present pages
  const others = present
    .filter((p) => p.node === 0 && !buddyinfo.some((z) => z.zone === p.zone))
    .map((p) => ({ ...p, free: [] as number[] }));
  const snap: Snapshot = {
    t,
    vmstat: parseVmstat(files['/proc/vmstat'] ?? ''),
    buddyinfo,
    score: nodeFragmentationScore([...zones, ...others]),
  };
  if (files['/proc/pagetypeinfo']) snap.pagetypeinfo = parsePagetypeinfo(files['/proc/pagetypeinfo']);
  if (files['/sys/kernel/debug/extfrag/unusable_index'])
    snap.unusableIndex = parseExtfragIndex(files['/sys/kernel/debug/extfrag/unusable_index']);
  if (files['/sys/kernel/debug/extfrag/extfrag_index'])
    snap.extfragIndex = parseExtfragIndex(files['/sys/kernel/debug/extfrag/extfrag_index']);
  return snap;
}

export async function takeSnapshot(guest: Guest, t = 0): Promise<{ snapshot: Snapshot; raw: string }> {
  const r = await guest.exec(['tail', '-n', '+1', ...SNAPSHOT_FILES], { timeoutMs: 60_000 });
  const raw = r.stdout.toString('utf8');
  return { snapshot: snapshotFromFiles(splitTailOutput(raw), t), raw };
}

/** Samples at an interval until stopped: the time series of a run. */
export class Sampler {
  readonly series: Snapshot[] = [];
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly guest: Guest,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    const started = Date.now();
    const { signal } = this.stopping;
    this.loop = (async () => {
      while (!signal.aborted) {
        const began = Date.now();
        try {
          const { snapshot } = await takeSnapshot(this.guest, (began - started) / 1000);
          this.series.push(snapshot);
        } catch {
          // a sample lost while the guest is stopped at a breakpoint is not an error
        }
        const wait = this.intervalMs - (Date.now() - began);
        if (wait > 0) await sleep(wait, signal).catch(() => undefined);
      }
    })();
  }

  async stop(): Promise<Snapshot[]> {
    this.stopping.abort();
    await this.loop;
    return this.series;
  }
}
