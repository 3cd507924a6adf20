import { LabError } from '../errors.js';
import { guestTool, type Guest } from '../guest/guest.js';
import { splitTailOutput } from '../sample/snapshot.js';
import { settingPathProblem } from './setting-path.js';

/** A settings file's current value: the bracketed choice of a THP-style file, else its text. */
export function currentSetting(text: string): string {
  const chosen = /\[([^\]]+)\]/.exec(text);
  return chosen ? chosen[1]! : text.trim();
}

export async function readSettings(guest: Guest, files: string[]): Promise<Record<string, string>> {
  if (!files.length) return {};
  // /dev/null last: tail prints a header for every file, even when only one is named
  const r = await guest.exec(['tail', '-n', '+1', ...files, '/dev/null'], { timeoutMs: 60_000 });
  const texts = splitTailOutput(r.stdout.toString('utf8'));
  const out: Record<string, string> = {};
  for (const f of files) {
    if (texts[f] === undefined) throw new LabError('SETTING_MISSING', `${f} does not exist in the guest`);
    out[f] = currentSetting(texts[f]);
  }
  return out;
}

async function writeSettings(guest: Guest, values: Array<[string, string]>): Promise<void> {
  if (!values.length) return;
  const r = await guest.exec([guestTool(guest, 'lab-write'), ...values.flat()], { timeoutMs: 60_000 });
  if (r.exitCode !== 0)
    throw new LabError('SETTING_FAILED', r.stderr.toString().trim().split('\n')[0] || `lab-write exited ${r.exitCode}`);
}

/**
 * Guest settings a run changes: each file's first value is remembered before
 * it is first written, and restore() writes them back in reverse order, one
 * file at a time, so one that fails does not keep the others from going back;
 * every failure is reported.
 */
export class GuestSettings {
  private readonly original = new Map<string, string>();

  constructor(private readonly guest: Guest) {}

  /** What was changed, with the value each file had before. */
  get changed(): ReadonlyMap<string, string> {
    return this.original;
  }

  async set(values: Record<string, string>): Promise<void> {
    for (const file of Object.keys(values)) {
      const problem = settingPathProblem(file);
      if (problem) throw new LabError('SCENARIO_INVALID', `the setting ${file} is not ${problem}`);
    }
    const fresh = Object.keys(values).filter((f) => !this.original.has(f));
    for (const [f, v] of Object.entries(await readSettings(this.guest, fresh))) this.original.set(f, v);
    await writeSettings(this.guest, Object.entries(values));
  }

  async restore(): Promise<void> {
    const failures: string[] = [];
    for (const [file, value] of [...this.original.entries()].reverse()) {
      try {
        await writeSettings(this.guest, [[file, value]]);
        this.original.delete(file);
      } catch (err) {
        failures.push(`${file} back to ${value}: ${(err as Error).message}`);
      }
    }
    if (failures.length)
      throw new LabError(
        'SETTING_FAILED',
        `${failures.length} guest setting(s) could not be restored: ${failures.join('; ')}`,
      );
  }
}
