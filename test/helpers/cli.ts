import { execa, type ResultPromise } from 'execa';
import { mkdtempSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { labMain } from '../../src/config/paths.js';

export const PROJECT = path.resolve(import.meta.dirname, '..', '..');
/** bin/lab, the bundle, from the one place that names it. */
export const LAB = labMain();

/** A new directory under the test run's own (removed when the run ends; see temp-root.ts). */
export function tempDir(label: string): string {
  return mkdtempSync(path.join(process.env.LAB_TEST_TMP ?? os.tmpdir(), `lab-${label}-`));
}

/**
 * The profile tests build when they name none: Debian's 6.1, which needs
 * nothing but Debian's archive, so the suite builds the same kernel on every
 * machine whether kernel.org is reachable or not.
 */
export const TEST_PROFILE = 'debian';

/** Runs the built CLI as a user would, never throwing: tests read exitCode, stdout and stderr. */
export function lab(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number; input?: string } = {},
) {
  return execa(process.execPath, [LAB, ...args], {
    cwd: options.cwd,
    env: { ...process.env, LAB_PROFILE: TEST_PROFILE, ...options.env },
    reject: false,
    timeout: options.timeout,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    stripFinalNewline: false,
  });
}

export function labSpawn(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ResultPromise {
  return execa(process.execPath, [LAB, ...args], {
    cwd: options.cwd,
    env: { ...process.env, LAB_PROFILE: TEST_PROFILE, ...options.env },
    reject: false,
    stdin: 'ignore',
  });
}

/** The newest run directory of a lab directory (run ids sort by time). */
export function newestRun(labDir: string): string {
  const runs = readdirSync(path.join(labDir, 'runs')).sort();
  return path.join(labDir, 'runs', runs.at(-1)!);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * The recorder gdbs a lab directory started and left running: pgrep finds
 * every lab_recorder.py gdb on the machine (another lab's, a second suite's),
 * and each one's LAB_RECORDER_CONFIG says which run, so which lab, it is.
 */
export async function recorderGdbsOf(labDir: string): Promise<string[]> {
  const r = await execa('pgrep', ['-f', 'lab_recorder.py'], { reject: false });
  const mine: string[] = [];
  for (const pid of r.stdout.split('\n').filter((l) => /^\d+$/.test(l.trim()))) {
    const environ = await readFile(`/proc/${pid.trim()}/environ`, 'utf8').catch(() => '');
    const config = environ
      .split('\0')
      .find((v) => v.startsWith('LAB_RECORDER_CONFIG='))
      ?.slice('LAB_RECORDER_CONFIG='.length);
    if (config && path.resolve(config).startsWith(path.resolve(labDir) + path.sep)) mine.push(pid.trim());
  }
  return mine;
}
