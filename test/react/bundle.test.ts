import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, test } from 'vitest'
import {
  bundleSize,
  CLIENT_ENTRY,
  findNodeImports,
  REACT_BUDGET_BYTES,
  REACT_ENTRY,
  // @ts-expect-error a plain .mjs script without types
} from '../../scripts/check-bundle.mjs'

const root = fileURLToPath(new URL('../..', import.meta.url))

beforeAll(() => {
  // `npm test` builds before vitest; a lone run builds here.
  if (!existsSync(join(root, 'dist/react.js'))) {
    execFileSync('npx', ['tsup'], { cwd: root, stdio: 'ignore', timeout: 120_000 })
  }
})

describe('the built react and fold entries', () => {
  test('import nothing from node:*; react imports only React', async () => {
    const react = await findNodeImports(root, REACT_ENTRY)
    expect(react.nodeImports).toEqual([])
    expect(react.external.sort()).toEqual(['react'])
    const fold = await findNodeImports(root, 'dist/fold.js')
    expect(fold.external).toEqual([])
  })

  test(`runstream/react adds at most ${REACT_BUDGET_BYTES} bytes min+gzip to the client`, async () => {
    const client = await bundleSize(root, CLIENT_ENTRY)
    const both = await bundleSize(root, CLIENT_ENTRY, REACT_ENTRY)
    const added = both.gzipped - client.gzipped
    expect(added).toBeGreaterThan(500)
    expect(added).toBeLessThanOrEqual(REACT_BUDGET_BYTES)
  })
})
