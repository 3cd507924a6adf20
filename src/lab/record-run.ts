import type { BuildRecord } from './build-record.js';
import type { LabContext } from './context.js';
import type { VmState } from '../vm/state.js';
import { writeExports } from '../export/write.js';
import { RUN_FILES } from '../record/files.js';
import { failRun, openRun, updateManifest, type OpenedRun, type RunKind } from '../record/manifest.js';
import { writeReportOf } from '../report/write-report.js';
import type { RunContents } from '../record/run-contents.js';

export type RecordingContext = Pick<LabContext, 'paths' | 'commandLine' | 'progress' | 'report'>;

/** What a run's body hands back when its recording is over. */
export interface Recording<R> {
  /** what the use case returns */
  result: R;
  /** what the manifest adds: how the recording ended, its figures */
  fields: Record<string, unknown>;
  /** what the exports and the report are drawn from, in memory */
  contents: RunContents;
}

export interface RecordedRun<R> {
  result: R;
  runDir: string;
  /** report.html, unless --no-report or it could not be written */
  report?: string;
}

export interface RunOpening {
  kind: RunKind;
  name: string;
  vm: VmState;
  build: BuildRecord | undefined;
  request: Record<string, unknown>;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * One run, start to end: the directory and its manifest, the body that
 * records into it, then finishRecording. A body that fails marks the
 * manifest with its error, and the error goes on to the caller.
 */
export async function recordRun<R>(
  ctx: RecordingContext,
  opening: RunOpening,
  body: (run: OpenedRun) => Promise<Recording<R>>,
): Promise<RecordedRun<R>> {
  const { kind, name, vm, build, request } = opening;
  const run = await openRun(ctx, kind, name, vm, build, request);
  let recording: Recording<R>;
  try {
    recording = await body(run);
  } catch (err) {
    await failRun(run, err);
    throw err;
  }
  return { result: recording.result, runDir: run.dir, report: await finishRecording(ctx, run, recording) };
}

/**
 * After the recording: the manifest says how it ended before anything is
 * derived from it, then the exports, then report.html, both drawn from the
 * recording in memory. One rule for both: a finished recording is never
 * lost to what is derived from it. An export or a report that cannot be
 * written is one notice and a line of the manifest's `unwritten`; the run's
 * outcome stays the recording's. Returns report.html's path, if written.
 */
export async function finishRecording(
  ctx: RecordingContext,
  run: OpenedRun,
  recording: Pick<Recording<unknown>, 'fields' | 'contents'>,
): Promise<string | undefined> {
  await updateManifest(run, recording.fields);
  const unwritten: Array<{ file: string; error: string }> = [];
  const attempt = async <T>(file: string, write: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await write();
    } catch (err) {
      unwritten.push({ file, error: messageOf(err) });
      ctx.progress.notice(`${file} was not written: ${messageOf(err)}`);
      return undefined;
    }
  };
  const exports = await attempt('the exports', () => writeExports(run.dir, recording.contents));
  await updateManifest(run, { exports: exports ?? [] });
  const report =
    ctx.report === false
      ? undefined
      : await attempt(RUN_FILES.report, () =>
          writeReportOf(run.dir, { ...recording.contents, manifest: run.manifest }),
        );
  if (unwritten.length) await updateManifest(run, { unwritten });
  return report?.file;
}
