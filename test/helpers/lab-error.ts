import { LabError } from '../../src/errors.js';

/** The LabError fn throws: anything else it throws is rethrown, and throwing nothing fails the test. */
export function labError(fn: () => unknown): LabError {
  try {
    fn();
  } catch (err) {
    if (err instanceof LabError) return err;
    throw err;
  }
  throw new Error('no LabError thrown');
}
