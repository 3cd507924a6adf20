import { gzipSync } from 'node:zlib';
import { readCompressed } from '../guest/compressed-read.js';
import { LabError, withSecondError } from '../errors.js';
import { guestTool, type Guest } from '../guest/guest.js';
import { tracefsArgs, type TracefsWrite } from '../trace/plan.js';
import { parseEngineTrace, parseBufferStats, parseKprobeProfile, type EngineTrace } from './engine-trace.js';
import { INSTANCE, INSTANCE_DIR, labProbesIn, PROBE_GROUP, probeRemovals, TRACEFS } from './kprobe-plan.js';

/**
 * The engine's tracefs state in the guest: lab's instance and lab's probes,
 * made, read and removed. Every command is an argument list; the one shell
 * program is a constant that appends its first argument to the file its
 * second names (kprobe_events must be appended to: lab-write's truncating
 * write would delete every kprobe event, a user's own included).
 */
const APPEND = 'printf "%s\\n" "$1" >> "$2"';
const EXEC_MS = 120_000;

async function run(guest: Guest, argv: string[], timeoutMs = EXEC_MS) {
  const r = await guest.exec(argv, { timeoutMs });
  return { ok: r.exitCode === 0, out: r.stdout.toString('utf8'), err: r.stderr.toString('utf8').trim() };
}

async function lastTracingError(guest: Guest): Promise<string> {
  const r = await run(guest, ['cat', `${TRACEFS}/error_log`]);
  const lines = r.out.split('\n').filter((l) => l.trim());
  const i = lines.map((l) => /error:/.test(l)).lastIndexOf(true);
  return i < 0
    ? ''
    : lines
        .slice(i, i + 2)
        .map((l) => l.trim().replace(/^\[[^\]]*\]\s*/, ''))
        .join(' | ');
}

async function appendTo(guest: Guest, file: string, text: string): Promise<void> {
  const r = await run(guest, ['sh', '-c', APPEND, 'sh', text, file]);
  if (!r.ok) {
    const why = (await lastTracingError(guest)) || r.err;
    throw new LabError('ENGINE_SETUP', `the kernel refused ${file.replace(`${TRACEFS}/`, '')}: ${why}`);
  }
}

async function tracefs(guest: Guest, writes: TracefsWrite[]): Promise<void> {
  const r = await run(guest, tracefsArgs(guestTool(guest, 'lab-write'), writes));
  if (!r.ok)
    throw new LabError(
      'ENGINE_SETUP',
      r.err.split('\n').find((l) => l.startsWith('lab-write:')) ?? (r.err || 'lab-write failed'),
    );
}

/** Lab's instance and probes gone, whatever state a run (or a killed one) left them in. */
export async function removeEngine(guest: Guest): Promise<void> {
  const rm = await run(guest, ['rmdir', INSTANCE_DIR]);
  if (!rm.ok && !/No such file/i.test(rm.err))
    throw new LabError('ENGINE_SETUP', `could not remove ${INSTANCE_DIR}: ${rm.err}`);
  const listed = await run(guest, ['cat', `${TRACEFS}/kprobe_events`]);
  if (!listed.ok) return; // no kprobe events in this kernel: nothing of lab's can be there
  const ours = labProbesIn(listed.out);
  if (ours.length) await appendTo(guest, `${TRACEFS}/kprobe_events`, probeRemovals(ours));
}

/** Probes created, the instance made and armed; on any failure everything is removed again. */
export async function armEngine(guest: Guest, definitions: string, setup: TracefsWrite[]): Promise<void> {
  try {
    let mk = await run(guest, ['mkdir', INSTANCE_DIR]);
    if (!mk.ok && /exists/i.test(mk.err)) {
      await removeEngine(guest); // a run that was killed left its instance behind
      mk = await run(guest, ['mkdir', INSTANCE_DIR]);
    }
    if (!mk.ok) throw new LabError('ENGINE_SETUP', `could not make ${INSTANCE_DIR}: ${mk.err}`);
    // one read says both whether the kernel has kprobe events and which of lab's a killed run left
    const listed = await run(guest, ['cat', `${TRACEFS}/kprobe_events`]);
    if (!listed.ok) throw new LabError('ENGINE_SETUP', `this kernel has no ${TRACEFS}/kprobe_events`);
    const stale = labProbesIn(listed.out);
    if (stale.length) await appendTo(guest, `${TRACEFS}/kprobe_events`, probeRemovals(stale));
    await appendTo(guest, `${TRACEFS}/kprobe_events`, definitions);
    await tracefs(guest, setup);
  } catch (err) {
    try {
      await removeEngine(guest);
    } catch (cleanupErr) {
      throw withSecondError(err, cleanupErr, 'removing the probes');
    }
    throw err;
  }
}

/** How many times each of lab's probes fired (kprobe_profile), by event name. */
export async function probeCounts(guest: Guest): Promise<Map<string, { hits: number; misses: number }>> {
  const r = await run(guest, ['cat', `${TRACEFS}/kprobe_profile`]);
  return parseKprobeProfile(r.out, PROBE_GROUP);
}

export interface EngineReading {
  trace: EngineTrace;
  traceBytes: number;
  /** What crossed to the host (compressed). */
  transferredBytes: number;
  /** The raw trace, gzip'd: kept in the run directory as the evidence the hits were read from. */
  gzipped: Buffer;
  probes: Map<string, { hits: number; misses: number }>;
  /** Per CPU: entries, overrun, dropped_events... */
  buffers: Array<Record<string, number>>;
}

/** Probes off (so their counts stop), then the buffer, the counts and each CPU's buffer statistics. */
export async function readEngine(guest: Guest, events: Set<string>, cpus: number): Promise<EngineReading> {
  await tracefs(guest, [
    [`${INSTANCE}/events/${PROBE_GROUP}/enable`, '0'],
    [`${INSTANCE}/tracing_on`, '0'],
  ]);
  const trace = await readCompressed(guest, `${INSTANCE_DIR}/trace`);
  // one round trip for the counts and every CPU's statistics: grep -H heads each line with its file
  const statFiles = Array.from({ length: cpus }, (_, cpu) => `${INSTANCE_DIR}/per_cpu/cpu${cpu}/stats`);
  const counts = await run(guest, ['grep', '-H', '', `${TRACEFS}/kprobe_profile`, ...statFiles]);
  const byFile = new Map<string, string[]>();
  for (const line of counts.out.split('\n')) {
    const at = line.indexOf(':');
    if (at <= 0) continue;
    const file = line.slice(0, at);
    if (!byFile.has(file)) byFile.set(file, []);
    byFile.get(file)!.push(line.slice(at + 1));
  }
  const probes = parseKprobeProfile((byFile.get(`${TRACEFS}/kprobe_profile`) ?? []).join('\n'), PROBE_GROUP);
  // a VM's CPUs the kernel did not bring up have no statistics file
  const buffers = statFiles.filter((f) => byFile.has(f)).map((f) => parseBufferStats(byFile.get(f)!.join('\n')));
  return {
    trace: parseEngineTrace(trace.out, events),
    traceBytes: Buffer.byteLength(trace.out),
    transferredBytes: trace.bytes,
    gzipped: trace.gzipped ?? gzipSync(trace.out),
    probes,
    buffers,
  };
}
