import type { Reporter, SerializedError, TestCase, TestModule, TestSuite } from 'vitest/node';

export interface RunCounts {
  passed: number;
  failed: number;
  skipped: number;
}

function hasErrors(scope: TestSuite | TestModule): boolean {
  return scope.errors().length > 0;
}

/** True when the test did not run because a suite around it broke (a beforeAll threw, the file did not load). */
function brokenAround(test: TestCase): boolean {
  for (let scope: TestSuite | TestModule = test.parent; ; scope = scope.parent) {
    if (hasErrors(scope)) return true;
    if (scope.type === 'module') return false;
  }
}

/**
 * The counts behind the closing line. A test that did not run because its
 * suite broke is a failure, not a skip; so is a suite or file that broke with
 * no test to blame (an afterAll that threw, a file that failed to load), and
 * an error outside every test.
 */
export function countRun(
  modules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<SerializedError> = [],
): RunCounts {
  const counts: RunCounts = { passed: 0, failed: unhandledErrors.length, skipped: 0 };
  for (const m of modules) {
    for (const test of m.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') counts.passed++;
      else if (state === 'failed' || brokenAround(test)) counts.failed++;
      else counts.skipped++;
    }
    for (const scope of [m, ...m.children.allSuites()]) {
      const tests = [...scope.children.allTests()];
      if (hasErrors(scope) && tests.every((t) => t.result().state === 'passed')) counts.failed++;
    }
  }
  return counts;
}

/** Ends the run with the plain line CI reads: "tests: N passed, N failed, N skipped". */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const c = countRun(modules, unhandledErrors);
    process.stdout.write(`\ntests: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped\n`);
  }
}
