import { LabError } from '../errors.js';

/** One breakpoint hit as the recorder writes it (gdb-scripts/lab_recorder.py). */
export interface Frame {
  function: string | null;
  file: string | null;
  line: number | null;
  pc: string;
  inlined: boolean;
  /** With --args: each argument's value, "<optimized out>" where DWARF has none. */
  args?: Record<string, unknown>;
}

/** A --capture's value in the hit's frame 0, or why it could not be read. */
export type Capture = { value: number | string } | { error: string };

export interface Hit {
  seq: number;
  time: string;
  elapsed: number;
  breakpoint: string;
  function: string | null;
  file: string | null;
  line: number | null;
  /** The vCPU that stopped (QEMU's CPU index). */
  cpu: number | null;
  comm: string | null;
  pid: number | null;
  /** Which of the breakpoint's sites (inlined copies each are one) stopped, 1-based, of how many. */
  site?: number | null;
  sites?: number;
  captures?: Record<string, Capture>;
  frames: Frame[];
  /** A frame that could not be read ended the walk: why. */
  frames_error?: string;
  trimmed: boolean;
}

/**
 * The hits of a hits.jsonl. A last line cut short (gdb killed while writing
 * it) is dropped: the hits before it stand. A damaged line anywhere else is a
 * damaged recording, reported by file and line.
 */
export function parseHits(jsonl: string, file = 'hits.jsonl'): Hit[] {
  const lines = jsonl.split('\n');
  const hits: Hit[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      hits.push(JSON.parse(line) as Hit);
    } catch {
      const isLast = lines.slice(i + 1).every((l) => !l.trim());
      if (!isLast || jsonl.endsWith('\n'))
        throw new LabError('HITS_CORRUPT', `${file} line ${i + 1} is not a hit record: ${line.slice(0, 60)}`);
    }
  });
  return hits;
}

/** A frame as gdb's backtrace prints it: "#1  0xffffffff81325831 in isolate_freepages at mm/compaction.c:1711". */
export function formatFrame(frame: Frame, index: number): string {
  const where = frame.file ? ` at ${frame.file}${frame.line ? `:${frame.line}` : ''}` : '';
  // gdb shows no address for the innermost frame nor for inlined ones
  const pc = index === 0 || frame.inlined ? '' : `${frame.pc} in `;
  const inl = frame.inlined ? ' [inlined]' : '';
  return `#${String(index).padEnd(2)} ${pc}${frame.function ?? '??'} ()${where}${inl}`;
}

export function formatHit(hit: Hit): string {
  const who = hit.comm ? ` · ${hit.comm}${hit.pid !== null ? ` (pid ${hit.pid})` : ''}` : '';
  const lines = [`=== hit ${hit.seq} · break ${hit.breakpoint} · cpu ${hit.cpu}${who} · ${hit.time}`];
  hit.frames.forEach((f, i) => lines.push(formatFrame(f, i)));
  if (hit.trimmed) lines.push(`(older frames, past ${hit.frames.at(-1)?.function ?? 'the kernel entry'}, trimmed)`);
  return lines.join('\n');
}

export function formatBacktraces(hits: Hit[]): string {
  return hits.map(formatHit).join('\n\n') + (hits.length ? '\n' : '');
}

/** Hits per breakpoint as the user wrote it, most first. */
export function hitsPerBreakpoint(hits: Hit[]): Array<{ breakpoint: string; hits: number }> {
  const counts = new Map<string, number>();
  for (const h of hits) counts.set(h.breakpoint, (counts.get(h.breakpoint) ?? 0) + 1);
  return [...counts.entries()]
    .map(([breakpoint, n]) => ({ breakpoint, hits: n }))
    .sort((a, b) => b.hits - a.hits || a.breakpoint.localeCompare(b.breakpoint));
}

/** Hits per function at the innermost frame, most first. */
export function hitsPerFunction(hits: Hit[]): Array<{ function: string; hits: number }> {
  const counts = new Map<string, number>();
  for (const h of hits) counts.set(h.function ?? '??', (counts.get(h.function ?? '??') ?? 0) + 1);
  return [...counts.entries()]
    .map(([fn, n]) => ({ function: fn, hits: n }))
    .sort((a, b) => b.hits - a.hits || a.function.localeCompare(b.function));
}
