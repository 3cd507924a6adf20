import { describe, expect, it } from 'vitest';
import { ERROR_TABLE, EXIT_CODES, LabError, withCleanup, withSecondError, type ErrorCode } from '../../src/errors.js';

describe('the error table', () => {
  it('renders an error as one line: what is wrong, then what to do', () => {
    const e = new LabError('PORT_IN_USE', 'port 4321 on 127.0.0.1 is already in use', { hint: 'pass --gdb-port' });
    expect(e.line()).toBe('port 4321 on 127.0.0.1 is already in use: pass --gdb-port');
  });

  it('decides the exit status by the kind of error, once', () => {
    const exit = (code: ErrorCode) => new LabError(code, 'x').exitCode;
    expect(exit('BAD_COUNT')).toBe(2);
    expect(exit('TOOL_MISSING')).toBe(EXIT_CODES.dependency);
    expect(exit('NOT_BUILT')).toBe(EXIT_CODES['not-built']);
    expect(exit('VM_NOT_RUNNING')).toBe(EXIT_CODES['vm-state']);
    expect(exit('GUEST_TIMEOUT')).toBe(EXIT_CODES.guest);
    expect(exit('INTERRUPTED')).toBe(130);
    expect(exit('STEP_FAILED')).toBe(1);
    expect(new Set(Object.values(EXIT_CODES)).size).toBe(Object.keys(EXIT_CODES).length);
  });

  it('gives every user-facing code a hint, so no error line ends without what to do', () => {
    const bare = Object.entries(ERROR_TABLE).filter(
      ([, spec]) => !('hint' in spec) && !['interrupted', 'internal'].includes(spec.kind),
    );
    expect(bare.map(([code]) => code)).toEqual([]);
  });

  it("names no file of lab's checkout in a hint: a course repository that installed lab has none beside it", () => {
    const checkoutPath = /\b(scripts|profiles|qemu|kernel-configs|gdb-scripts|scenarios|matrices|courses|deps)\//;
    const pointing = Object.entries(ERROR_TABLE).filter(([, spec]) => 'hint' in spec && checkoutPath.test(spec.hint));
    expect(pointing.map(([code, spec]) => `${code}: ${'hint' in spec ? spec.hint : ''}`)).toEqual([]);
  });

  it('keeps the first error when cleaning up fails too, and reports both', async () => {
    const failing = withCleanup(
      async () => {
        throw new LabError('GUEST_STEP_FAILED', 'step 2 exited 1');
      },
      async () => {
        throw new LabError('SETTING_FAILED', 'compaction_proactiveness could not be restored');
      },
      'restoring the guest',
    );
    const err = await failing.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('GUEST_STEP_FAILED');
    expect((err as LabError).message).toBe(
      'step 2 exited 1; restoring the guest failed too: compaction_proactiveness could not be restored',
    );
    const plain = withSecondError(new Error('boom'), new Error('bang'), 'cleanup') as Error;
    expect(plain.message).toBe('boom; cleanup failed too: bang');
  });

  it('throws the cleanup error itself after a body that succeeded', async () => {
    await expect(
      withCleanup(
        async () => 1,
        async () => Promise.reject(new Error('restore failed')),
        'x',
      ),
    ).rejects.toThrow('restore failed');
    await expect(
      withCleanup(
        async () => 7,
        async () => undefined,
        'x',
      ),
    ).resolves.toBe(7);
  });
});
