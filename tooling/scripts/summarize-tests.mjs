// Adds up the vitest JSON reports of every package and prints one closing line: "N passed, N failed, N skipped".
// Failed tests are named last, with the first lines of their message, so the tail of a CI log says what broke.
// Exits non-zero when a report is missing, a test failed or nothing ran at all.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '.test-results';
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
for (const file of readdirSync(dir).filter((name) => name.endsWith('.json')).sort()) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  // A test file that failed to load (syntax error, failed import, crashing hook) has no failed test to count.
  let filesNotRun = 0;
  for (const result of report.testResults) {
    const where = result.name.replace(/^.*?\/(packages|apps|tests|tooling)\//, '$1/');
    const failedTests = result.assertionResults.filter((t) => t.status === 'failed');
    for (const test of failedTests) failures.push(`${where} > ${test.fullName}\n    ${firstLines(test.failureMessages.join('\n'))}`);
    if (result.status === 'failed' && failedTests.length === 0) {
      filesNotRun += 1;
      failures.push(`${where} (did not run)\n    ${firstLines(result.message ?? '')}`);
    }
  }
  passed += report.numPassedTests;
  failed += report.numFailedTests + filesNotRun;
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  console.log(
    `${file.replace(/\.json$/, '')}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped` +
      (filesNotRun ? ` (${filesNotRun} test files failed to run)` : ''),
  );
}
if (failures.length > 0) console.log(`\nFailed:\n${failures.join('\n')}\n`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

function firstLines(text) {
  return text.split('\n').slice(0, 6).join('\n    ');
}
