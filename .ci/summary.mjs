// Prints vitest's totals as one plain line, so that CI can count the tests that ran.
import { readFileSync } from 'node:fs'

const report = JSON.parse(
  readFileSync(new URL('../artifacts/vitest-report.json', import.meta.url), 'utf8'),
)
const skipped = report.numPendingTests + report.numTodoTests
console.log(
  `${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`,
)
