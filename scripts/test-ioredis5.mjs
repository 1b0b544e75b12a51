// Runs the Redis store's tests against ioredis 5, the oldest major of the `ioredis` peer range
// (`npm test` runs them on ioredis 6, the `ioredis` devDependency). `ioredis5` is an npm alias
// devDependency (ioredis@5); RUNSTREAM_IOREDIS=5 makes vitest.config.ts map every `ioredis`
// import to it, and test/helpers/ioredis5-hook.mjs (in NODE_OPTIONS) does the same in the
// processes the tests fork. test/redis/ioredis-major.test.ts fails when either did not apply.
// Before the tests, src/redis is type-checked against ioredis 5's types.
//
//   node scripts/test-ioredis5.mjs            (part of .ci/run, after `npm test`)
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
// The store's own suites, and the reliability suites that run it against faults.
const SUITES = [
  'test/redis',
  'test/reliability/store-faults.test.ts',
  'test/reliability/chaos.test.ts',
]

// First, src/redis against ioredis 5's types (tsconfig.ioredis5.json maps `ioredis` to them):
// `npm run typecheck` checks it against ioredis 6's.
console.log('== runstream/redis typecheck on ioredis 5')
const typecheck = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.ioredis5.json'],
  { cwd: root, stdio: 'inherit' },
)
if (typecheck.status !== 0) process.exit(typecheck.status ?? 1)

const hook = pathToFileURL(join(root, 'test/helpers/ioredis5-hook.mjs')).href
console.log('== Redis store tests on ioredis 5')
const result = spawnSync(
  process.execPath,
  [join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...SUITES],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      RUNSTREAM_IOREDIS: '5',
      NODE_OPTIONS: [process.env.NODE_OPTIONS, `--import=${hook}`].filter(Boolean).join(' '),
      // Its own JSON report, which .ci/summary.mjs counts: a failure here fails CI.
      VITEST_JSON_REPORT: 'artifacts/vitest-report-ioredis5.json',
    },
  },
)
process.exit(result.status ?? 1)
