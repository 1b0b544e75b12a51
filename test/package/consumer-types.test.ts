import { execFileSync } from 'node:child_process'
import { appendFileSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Cell, checkInstall } from '../../scripts/check-consumer-types.js'
import {
  cacheDir,
  type PackageManifest,
  pack,
  prepareInstall,
} from '../../scripts/consumer-types/install.js'
import { ENTRIES, SETTINGS, TYPESCRIPT_VERSIONS } from '../../scripts/consumer-types/projects.js'

// The full matrix (TypeScript 5.9 and 7 × four project setups × ten entries) runs in
// `npm run check:package`. Here: proof that the check fails when it must, on TypeScript 7 in the
// setting that also checks declarations, against a copy of the built package with three defects.

const root = fileURLToPath(new URL('../..', import.meta.url))
const scratch = join(cacheDir(root), 'test')
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageManifest
const setting = SETTINGS.filter((s) => s.libCheck)
const install = join(scratch, 'ts-7')

beforeAll(() => {
  // `npm test` builds before vitest; a lone run builds here.
  if (!existsSync(join(root, 'dist/index.d.ts'))) {
    execFileSync('npx', ['tsup'], { cwd: root, stdio: 'ignore', timeout: 120_000 })
  }
}, 150_000)

/** Packs a copy of the package after `damage` changed its files, installs it, checks it. */
async function check(name: string, damage: (dir: string) => void = () => {}): Promise<Cell[]> {
  const dir = join(scratch, name)
  rmSync(dir, { recursive: true, force: true })
  cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true })
  cpSync(join(root, 'package.json'), join(dir, 'package.json'))
  damage(dir)
  const tarball = await pack(dir, join(scratch, `pack-${name}`))
  await prepareInstall(install, TYPESCRIPT_VERSIONS['7'] ?? [], tarball, manifest)
  return checkInstall(install, '7', ENTRIES, setting)
}

// Seven entries in a browser project and nine in a Node one (runstream/react is for browsers; the
// node, redis and testing entries for Node).
const CELLS = 16

const failing = (cells: Cell[]) =>
  cells.filter((c) => !c.ok).map((c) => `${c.specifier} (${c.environment})`)

describe('the consumer types check', () => {
  it('passes the package as built', async () => {
    const cells = await check('as-built')
    expect(cells).toHaveLength(CELLS)
    expect(failing(cells)).toEqual([])
  }, 120_000)

  it('fails each entry of a damaged copy, for what is wrong with it, and only those', async () => {
    const cells = await check('damaged', (dir) => {
      // A web entry whose declarations pull in @types/node, though they compile.
      const client = join(dir, 'dist/client.d.ts')
      writeFileSync(client, `/// <reference types="node" />\n${readFileSync(client, 'utf8')}`)
      // A declaration that names a type only the DOM lib has.
      appendFileSync(join(dir, 'dist/server.d.ts'), '\nexport const init: HeadersInit\n')
      // An entry whose declarations are missing from the package.
      rmSync(join(dir, 'dist/redis.d.ts'))
    })
    expect(cells).toHaveLength(CELLS)
    expect(failing(cells)).toEqual([
      'runstream/client (web)',
      'runstream/server (node)',
      'runstream/redis (node)',
    ])
    const errors = (column: string) =>
      cells.find((c) => `${c.specifier} (${c.environment})` === column)?.errors.join('\n')
    expect(errors('runstream/client (web)')).toContain(
      '@types/node entered a program without Node types',
    )
    expect(errors('runstream/server (node)')).toContain("Cannot find name 'HeadersInit'")
    expect(errors('runstream/redis (node)')).toMatch(/TS7016|Could not find a declaration file/)
  }, 120_000)
})
