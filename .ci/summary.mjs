// Prints "N passed, N failed[, N skipped]" added up over vitest JSON reports; fails when nothing ran.
// Arguments: report files, or directories whose *.json files are all reports (the main run's
// vitest.json, and vitest-postgres.json when the PostgreSQL run happened).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const paths = process.argv.slice(2).flatMap((p) =>
  existsSync(p) && statSync(p).isDirectory()
    ? readdirSync(p)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => join(p, f))
    : [p],
);
const reports = paths.filter((p) => existsSync(p));
if (reports.length === 0) {
  console.log('0 passed, 1 failed');
  console.error(`no test report in ${process.argv.slice(2).join(' ')}: the test run did not complete`);
  process.exit(1);
}
let passed = 0;
let failed = 0;
let skipped = 0;
for (const path of reports) {
  const report = JSON.parse(readFileSync(path, 'utf8'));
  // A file that failed to load has no failed assertions of its own: count it once.
  const brokenFiles = (report.testResults ?? []).filter(
    (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
  ).length;
  passed += report.numPassedTests ?? 0;
  failed += (report.numFailedTests ?? 0) + brokenFiles;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  if (reports.length > 1)
    console.error(
      `${path}: ${report.numPassedTests ?? 0} passed, ${(report.numFailedTests ?? 0) + brokenFiles} failed`,
    );
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
