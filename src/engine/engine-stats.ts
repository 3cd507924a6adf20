import type { ProbeHit } from './engine-trace.js';
import type { ProbeSite } from './kprobe-plan.js';

/** What the kernel counted against what lab read: dropped hits are reported, never silent. */
export interface EngineStats {
  probes: Array<{
    event: string;
    breakpoint: string;
    site: number;
    address: string;
    hits: number;
    misses: number;
    recorded: number;
  }>;
  /** Hits the probes fired for, all probes. */
  fired: number;
  /** Probe events read from the buffer. */
  recorded: number;
  /** fired - recorded + misses: lost to a full buffer or to kprobe reentrancy. */
  dropped: number;
  buffers: Array<Record<string, number>>;
  traceBytes: number;
  /** gzip'd, as it crossed from the guest. */
  transferredBytes: number;
  /** Wall seconds: armed to stopped, reading the buffer, symbolising. */
  recordingSeconds: number;
  readSeconds: number;
  symbolizeSeconds: number;
  uniqueAddresses: number;
}

/** What the guest engine read, with its timings: what engineStats counts from. */
export interface EngineReading {
  trace: { hits: ProbeHit[]; withoutStack: number };
  probes: Map<string, { hits: number; misses: number }>;
  buffers: Array<Record<string, number>>;
  traceBytes: number;
  transferredBytes: number;
  recordingSeconds: number;
  readSeconds: number;
}

/** Each probe's hits as the kernel counted them against the hits read; what was lost is dropped (pure). */
export function engineStats(
  sites: Map<string, ProbeSite>,
  reading: EngineReading,
  symbolized: { seconds: number; uniqueAddresses: number },
): EngineStats {
  const recordedPer = new Map<string, number>();
  for (const h of reading.trace.hits) recordedPer.set(h.event, (recordedPer.get(h.event) ?? 0) + 1);
  const probes = [...sites.values()].map((s) => ({
    event: s.event,
    breakpoint: s.breakpoint,
    site: s.site,
    address: `0x${s.address.toString(16)}`,
    hits: reading.probes.get(s.event)?.hits ?? 0,
    misses: reading.probes.get(s.event)?.misses ?? 0,
    recorded: recordedPer.get(s.event) ?? 0,
  }));
  const fired = probes.reduce((n, p) => n + p.hits, 0);
  const recorded = reading.trace.hits.length;
  const dropped = Math.max(0, fired - recorded) + probes.reduce((n, p) => n + p.misses, 0) + reading.trace.withoutStack;
  return {
    probes,
    fired,
    recorded,
    dropped,
    buffers: reading.buffers,
    traceBytes: reading.traceBytes,
    transferredBytes: reading.transferredBytes,
    recordingSeconds: reading.recordingSeconds,
    readSeconds: reading.readSeconds,
    symbolizeSeconds: symbolized.seconds,
    uniqueAddresses: symbolized.uniqueAddresses,
  };
}
