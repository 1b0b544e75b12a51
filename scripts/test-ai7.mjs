// Runs the AI SDK adapter's tests against ai@7, the current major, which needs Node 22 or later.
// `ai7` is an npm alias devDependency (ai@7); RUNSTREAM_AI=7 makes test/ai-sdk/ai.ts import it.
//
//   node scripts/test-ai7.mjs            (part of .ci/run, after `npm test`)
//
// The Node binary: NODE24 when set; this Node when it is 22 or later; otherwise Node 24 from the
// registry's `node-<platform>-<arch>@24` package, installed once outside the repository (in the
// system's temp folder) and reused. The default `npm test` keeps running these files on ai@6.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const FILES = [
  'test/ai-sdk/catalog.test.ts',
  'test/ai-sdk/handler.test.ts',
  'test/ai-sdk/transport.test.ts',
]

function node24() {
  if (process.env.NODE24) return process.env.NODE24
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath
  const pkg = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`
  const prefix = join(tmpdir(), 'runstream-node24')
  const binary = join(
    prefix,
    'node_modules',
    pkg,
    'bin',
    process.platform === 'win32' ? 'node.exe' : 'node',
  )
  if (!existsSync(binary)) {
    console.log(`== installing ${pkg}@24 into ${prefix}`)
    execFileSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', `${pkg}@24`], {
      stdio: 'inherit',
    })
  }
  return binary
}

const node = node24()
const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
console.log(`== AI SDK tests on ai@7, Node ${version}`)
const result = spawnSync(node, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...FILES], {
  cwd: root,
  stdio: 'inherit',
  // Its own JSON report: artifacts/vitest-report.json stays the whole suite's, which .ci reads.
  env: {
    ...process.env,
    RUNSTREAM_AI: '7',
    VITEST_JSON_REPORT: 'artifacts/vitest-report-ai7.json',
  },
})
process.exit(result.status ?? 1)
