// Prints vitest's totals as one plain line, so that CI can count the tests that ran: the main
// run (artifacts/vitest-report.json) and the extra runs of .ci/run on other Node versions
// (artifacts/vitest-report-*.json), each also on a line of its own above. Exits 1 when any
// run failed or a report is missing, so that a failing extra run fails CI too.
import { existsSync, readdirSync, readFileSync } from 'node:fs'

const dir = new URL('../artifacts/', import.meta.url)
const main = 'vitest-report.json'
if (!existsSync(new URL(main, dir))) {
  console.log(`summary: no artifacts/${main}: the main test run did not finish`)
  process.exit(1)
}
const extra = readdirSync(dir)
  .filter((name) => /^vitest-report-.+\.json$/.test(name))
  .sort()

const total = { passed: 0, failed: 0, skipped: 0 }
let ok = true
for (const name of [main, ...extra]) {
  const report = JSON.parse(readFileSync(new URL(name, dir), 'utf8'))
  const passed = report.numPassedTests
  const failed = report.numFailedTests
  const skipped = report.numPendingTests + report.numTodoTests
  total.passed += passed
  total.failed += failed
  total.skipped += skipped
  // success is false as well when a file failed to load, with no test counted as failed.
  if (failed > 0 || report.success === false) ok = false
  if (extra.length > 0) {
    const run = name === main ? 'main run' : name.slice('vitest-report-'.length, -'.json'.length)
    console.log(
      `  ${run}: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`,
    )
  }
}
console.log(
  `${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`,
)
if (!ok) process.exit(1)
