import { rm } from 'node:fs/promises';
import * as z from 'zod';
import { InterruptedError, LabError } from '../errors.js';
import type { LabPaths } from '../config/paths.js';
import type { Store } from '../store/store.js';
import { readCheckedJsonIfAny } from '../util/checked-record.js';
import { sharedStartKey, type BootShape, type SharedStartId } from './boot-snapshot-key.js';
import { saveGuestSnapshot, snapshotFiles } from './boot-snapshot.js';
import { restoreSaved, started, type MomentContext } from './restore-saved.js';
import { killVm, type VmState } from './state.js';

/** A scenario's start moment that every VM of the same machine starts at (matrix jobs with sameStart). */
export interface SharedStart {
  id: SharedStartId;
  /** Brings a guest just booted (or restored from its boot snapshot) to the moment, to be saved. */
  perform(state: VmState): Promise<void>;
}

const SavedRecord = z.object({ savedAt: z.string() });

/**
 * The guest at a scenario's start moment: restored from the store when a
 * VM of this machine saved it, else booted, brought there and saved. The
 * entry's lock is held throughout, so jobs side by side make it once and
 * every one of them starts from the same memory.
 */
export async function startAtSharedStart(
  store: Store,
  paths: LabPaths,
  boot: { key: string; shape: BootShape },
  start: SharedStart,
  bootGuest: () => Promise<VmState>,
  ctx: MomentContext,
): Promise<VmState> {
  const key = sharedStartKey(boot.key, start.id);
  const dir = store.entry('starts', key);
  const files = snapshotFiles(dir);
  const at = (savedAt: string): VmState['start'] => ({
    from: 'start',
    snapshot: key,
    moment: start.id.moment,
    machine: boot.key,
    savedAt,
  });
  return store.locked(`starts/${key}`, async () => {
    const record = await readCheckedJsonIfAny(files.record, SavedRecord, { code: 'SNAPSHOT_FAILED' }).catch(
      () => undefined,
    );
    if (record) {
      try {
        const state = await restoreSaved(paths, files, `start moment ${start.id.moment} ${key.slice(0, 8)}`, ctx);
        return await started(paths, state, at(record.savedAt));
      } catch (err) {
        if (err instanceof InterruptedError || ctx.signal?.aborted) throw err;
        const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
        ctx.progress.notice(`lab: the start moment ${start.id.moment} did not restore (${why}); making it again`);
      }
    }
    await rm(dir, { recursive: true, force: true });
    const state = await bootGuest();
    try {
      const stage = ctx.progress.stage(`start moment ${start.id.moment}: the first ${start.id.after} step(s)`);
      await start.perform(state);
      const vm = { qmpSocket: paths.qmpSocket, streamSocket: paths.snapshotSocket, disk: state.disk };
      const entry = { kind: 'starts', key, about: { shape: boot.shape, start: start.id } } as const;
      const saved = await saveGuestSnapshot(store, entry, { ...vm, serialLog: paths.serialLog }, ctx.signal);
      // the entry's lock is this process's: nobody else can have saved it meanwhile
      if (!saved)
        throw new LabError('SNAPSHOT_FAILED', `start moment ${start.id.moment} appeared while lab held its lock`);
      stage.done(`saved: ${(saved.bytes / (1 << 20)).toFixed(0)} MiB in ${(saved.ms / 1000).toFixed(1)} s`);
      return await started(paths, state, at(saved.savedAt));
    } catch (err) {
      await killVm(paths, state);
      throw err;
    }
  });
}
