import { writeFile } from 'node:fs/promises';
import { writeFileAtomically } from '../util/atomic-write.js';
import { runFile, type RunFileKey } from './files.js';
import type { Hit } from './hit-schema.js';
import type { RunContents } from './run-contents.js';

/** A run file lab writes as it goes (a reader of a finished run reads it whole). */
export async function writeRunFile(dir: string, key: RunFileKey, data: string | Buffer): Promise<string> {
  const file = runFile(dir, key);
  await writeFile(file, data);
  return file;
}

/** A run file a reader may open at any time (the manifest, the report): whole or not there. */
export async function writeRunFileAtomically(dir: string, key: RunFileKey, text: string): Promise<number> {
  return writeFileAtomically(runFile(dir, key), text);
}

export function writeManifest(dir: string, manifest: Record<string, unknown>): Promise<number> {
  return writeRunFileAtomically(dir, 'manifest', JSON.stringify(manifest, null, 2) + '\n');
}

export function jsonLines(values: unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join('\n') + (values.length ? '\n' : '');
}

export function writeHits(dir: string, hits: Hit[]): Promise<string> {
  return writeRunFile(dir, 'hits', jsonLines(hits));
}

/** samples.jsonl: one line per sample, always ending in a newline. */
export function writeSamples(dir: string, samples: NonNullable<RunContents['samples']>): Promise<string> {
  return writeRunFile(dir, 'samples', samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
}

export function writeVerdicts(dir: string, verdicts: NonNullable<RunContents['verdicts']>): Promise<string> {
  return writeRunFile(dir, 'verdicts', JSON.stringify(verdicts, null, 2));
}

export function writeSteps(dir: string, steps: NonNullable<RunContents['steps']>): Promise<string> {
  return writeRunFile(dir, 'steps', JSON.stringify(steps, null, 2) + '\n');
}
