import { existsSync } from 'node:fs';
import path from 'node:path';

/** ../shared beside the project: real data from outside, read in place. */
export const SHARED = path.resolve(import.meta.dirname, '..', '..', '..', 'shared');
export const FIXTURES = path.join(SHARED, 'fixtures');
export const hasShared = existsSync(FIXTURES);
export const sharedSkipReason = `../shared/fixtures is absent (looked in ${FIXTURES}): fixture tests skipped`;
if (!hasShared) console.warn(sharedSkipReason);
