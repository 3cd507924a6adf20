import { LabError } from '../errors.js';
import { isObject } from '../util/json-narrow.js';

/** An event the recorder printed ("@lab-event {...}"), or undefined for gdb's own output. */
export function parseRecorderEvent(line: string): { event: string; [k: string]: unknown } | undefined {
  if (!line.startsWith('@lab-event ')) return undefined;
  try {
    const event: unknown = JSON.parse(line.slice('@lab-event '.length));
    return isObject(event) && typeof event.event === 'string' ? { ...event, event: event.event } : undefined;
  } catch {
    return undefined;
  }
}

/** trigger-ended: the guest engine records until the trigger command exits. */
export type RecordingOutcome = 'count-reached' | 'timeout' | 'interrupted' | 'trigger-ended';

/**
 * What the recorder said, folded (pure): the breakpoints it armed, the hits,
 * and how it ended. The outcome is the recorder's own last word, never a
 * default: a recorder that ends without one has failed.
 */
export class RecorderLog {
  readonly sites: Array<{ spec: string; sites: number | null }> = [];
  unknown: Array<{ spec: string; error: string }> | undefined;
  connectError: string | undefined;
  armed = false;
  hits = 0;
  private ending: { event: string; error?: string } | undefined;
  /** The recording ended at a breakpoint because lab asked, not at an interrupt. */
  endedAtHit = false;
  /** Why lab stopped gdb, when it did: a timeout or Ctrl-C. */
  stopReason: 'timeout' | 'interrupted' | 'trigger-ended' | undefined;

  feed(e: { event: string; [k: string]: unknown }): void {
    switch (e.event) {
      case 'breakpoint':
        this.sites.push({ spec: String(e.spec), sites: typeof e.sites === 'number' ? e.sites : null });
        break;
      case 'unknown':
        this.unknown = e.breakpoints as Array<{ spec: string; error: string }>;
        break;
      case 'connect-failed':
        this.connectError = String(e.error);
        break;
      case 'armed':
        this.armed = true;
        break;
      case 'hit':
        this.hits = Number(e.seq);
        break;
      case 'interrupted':
        this.endedAtHit = e.at_hit === true;
        this.ending = { event: e.event };
        break;
      case 'count-reached':
      case 'write-failed':
      case 'target-lost':
        this.ending = { event: e.event, error: typeof e.error === 'string' ? e.error : undefined };
        break;
    }
  }

  /** How the recording ended, or the error it ended with. */
  outcome(where: { hitsFile: string; gdbLog: string }): RecordingOutcome {
    const end = this.ending;
    if (!end)
      throw new LabError(
        'RECORDER_FAILED',
        `gdb ended without saying how the recording ended (${this.hits} hits recorded)`,
        { hint: `see ${where.gdbLog}` },
      );
    if (end.event === 'write-failed')
      throw new LabError('RECORDER_FAILED', `the recorder could not write ${where.hitsFile}: ${end.error}`, {
        hint: 'free some disk space, then record again',
      });
    if (end.event === 'target-lost')
      throw new LabError('RECORDER_FAILED', `the VM went away while recording: ${end.error}`, {
        hint: 'see lab status and the serial log',
      });
    if (end.event === 'interrupted') return this.stopReason ?? 'interrupted';
    return 'count-reached';
  }
}
