import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (file: string) => fileURLToPath(new URL(`./src/${file}`, import.meta.url))

// RUNSTREAM_IOREDIS=5 runs the tests on ioredis 5 (the `ioredis5` alias devDependency), the
// oldest major runstream/redis supports, instead of `ioredis` (6): every `ioredis` import, in the
// tests and in src, is mapped to it. scripts/test-ioredis5.mjs sets it.
const ioredis5 =
  process.env.RUNSTREAM_IOREDIS === '5'
    ? [{ find: /^ioredis(\/.*)?$/, replacement: 'ioredis5$1' }]
    : []

export default defineConfig({
  resolve: {
    // Tests and examples import the package by its name, from source.
    alias: [
      { find: /^runstream$/, replacement: src('index.ts') },
      { find: /^runstream\/(.*)$/, replacement: src('$1.ts') },
      ...ioredis5,
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    typecheck: {
      enabled: true,
      include: ['test/types/**/*.test-d.ts'],
      tsconfig: './tsconfig.test.json',
    },
    // The JSON report lets .ci/run print one plain "N passed, N failed" line at the end. Its
    // extra runs (the runtime-sensitive suites on other Node versions) write their own, named by
    // VITEST_JSON_REPORT, so that every run counts.
    reporters: [
      'default',
      ['json', { outputFile: process.env.VITEST_JSON_REPORT ?? 'artifacts/vitest-report.json' }],
    ],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
})
