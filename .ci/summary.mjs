// Prints "N passed, N failed[, N skipped]" from vitest's JSON report; fails when nothing ran.
import { existsSync, readFileSync } from 'node:fs';

const path = process.argv[2];
if (!path || !existsSync(path)) {
  console.log('0 passed, 1 failed');
  console.error(`no test report at ${path}: the test run did not complete`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(path, 'utf8'));
const passed = report.numPassedTests ?? 0;
// A file that failed to load has no failed assertions of its own: count it once.
const brokenFiles = (report.testResults ?? []).filter(
  (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
).length;
const failed = (report.numFailedTests ?? 0) + brokenFiles;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
