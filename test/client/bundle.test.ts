import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  BROWSER_CLIENT,
  bundleSize,
  CLIENT_BUDGET_BYTES,
  fileSize,
  findNodeImports,
  // @ts-expect-error a plain .mjs script without types
} from '../../scripts/check-bundle.mjs'

const root = fileURLToPath(new URL('../..', import.meta.url))
const scratch = mkdtempSync(join(tmpdir(), 'runstream-bundle-'))

beforeAll(() => {
  // `npm test` builds before vitest; a lone run builds here.
  if (!existsSync(join(root, 'dist/client.js')) || !existsSync(join(root, BROWSER_CLIENT))) {
    execFileSync('npx', ['tsup'], { cwd: root, stdio: 'ignore', timeout: 120_000 })
  }
})
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('the built client entry', () => {
  test('imports nothing from node:*, through any of its chunks', async () => {
    const { files, nodeImports, external } = await findNodeImports(root, 'dist/client.js')
    expect(files.length).toBeGreaterThan(1)
    expect(nodeImports).toEqual([])
    // No dependency at all: the SSE parser is the client's own.
    expect(external).toEqual([])
  })

  test('the checker does find a Node builtin hidden in a chunk', async () => {
    writeFileSync(
      join(scratch, 'chunk.js'),
      "import { readFileSync } from 'node:fs'\nexport const x = readFileSync\n",
    )
    writeFileSync(
      join(scratch, 'entry.js'),
      "export { x } from './chunk.js'\nexport const y = () => import('events')\n",
    )
    const { nodeImports } = await findNodeImports(scratch, 'entry.js')
    expect(nodeImports.sort()).toEqual(['events', 'node:fs'])
  })

  test(`fits ${CLIENT_BUDGET_BYTES} bytes min+gzip with its dependencies, zod excluded`, async () => {
    const { gzipped } = await bundleSize(root, 'dist/client.js')
    expect(gzipped).toBeGreaterThan(3000)
    expect(gzipped).toBeLessThanOrEqual(CLIENT_BUDGET_BYTES)
  })
})

describe('the browser client file', () => {
  test(`is one file that imports nothing, and fits ${CLIENT_BUDGET_BYTES} bytes gzipped`, async () => {
    const { files, external } = await findNodeImports(root, BROWSER_CLIENT)
    expect(files).toEqual([BROWSER_CLIENT])
    expect(external).toEqual([])
    const { gzipped } = fileSize(root, BROWSER_CLIENT)
    expect(gzipped).toBeGreaterThan(3000)
    expect(gzipped).toBeLessThanOrEqual(CLIENT_BUDGET_BYTES)
  })

  test('is exported as runstream/client/browser, with the types of runstream/client', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    expect(pkg.exports['./client/browser']).toEqual({
      types: './dist/client.d.ts',
      default: `./${BROWSER_CLIENT}`,
    })
  })
})
