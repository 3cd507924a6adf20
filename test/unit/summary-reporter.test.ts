import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { PROJECT } from '../helpers/cli.js';

describe('the closing line of a test run', () => {
  it(
    'counts a suite whose beforeAll or afterAll throws, and ' +
      'a file that does not load, as failed; the exit code agrees',
    async () => {
      const config = path.join(PROJECT, 'test', 'fixtures', 'reporter', 'vitest.config.ts');
      const r = await execa(path.join(PROJECT, 'node_modules', '.bin', 'vitest'), ['run', '--config', config], {
        reject: false,
        env: { CI: 'true' },
      });
      const closing = r.stdout.trim().split('\n').at(-1);
      // 2 tests under the throwing beforeAll, 1 afterAll, 1 broken file; 2 passed, 1 skipped on purpose
      expect(closing).toBe('tests: 2 passed, 4 failed, 1 skipped');
      expect(r.exitCode).toBe(1);
    },
    60_000,
  );
});
