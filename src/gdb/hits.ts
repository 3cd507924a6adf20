import type { Frame, Hit } from '../record/hit-schema.js';

/** One breakpoint hit as the recorder writes it: its schema is record/'s, shared with the Python recorder. */
export type { Capture, Frame, Hit } from '../record/hit-schema.js';

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
export function hitsPerFunction(hits: Array<Pick<Hit, 'function'>>): Array<{ function: string; hits: number }> {
  const counts = new Map<string, number>();
  for (const h of hits) counts.set(h.function ?? '??', (counts.get(h.function ?? '??') ?? 0) + 1);
  return [...counts.entries()]
    .map(([fn, n]) => ({ function: fn, hits: n }))
    .sort((a, b) => b.hits - a.hits || a.function.localeCompare(b.function));
}
