/**
 * vitest globalSetup: every tempDir of one test run lives under one directory,
 * removed when the run ends, so a run leaves nothing in /tmp.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(path.join(os.tmpdir(), 'lab-tests-'));
  // forked test workers inherit it
  process.env.LAB_TEST_TMP = root;
  return () => {
    try {
      rmSync(root, { recursive: true, force: true });
    } catch (err) {
      console.error(`could not remove the test run's temporary directory ${root}: ${String(err)}`);
    }
  };
}
