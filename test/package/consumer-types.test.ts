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

// The full matrix (TypeScript 5.9 and 7 × four project setups × six entries) runs in
// `npm run check:package`. Here: proof that the check fails when it must, on TypeScript 7 in the
// setting that also checks declarations, against copies of the built package with one defect each.

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
async function check(
  name: string,
  damage: (dir: string) => void = () => {},
  specifiers?: string[],
): Promise<Cell[]> {
  const dir = join(scratch, name)
  rmSync(dir, { recursive: true, force: true })
  cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true })
  cpSync(join(root, 'package.json'), join(dir, 'package.json'))
  damage(dir)
  const tarball = await pack(dir, join(scratch, `pack-${name}`))
  await prepareInstall(install, TYPESCRIPT_VERSIONS['7'] ?? [], tarball, manifest)
  const entries = ENTRIES.filter((e) => specifiers?.includes(e.specifier) ?? true)
  return checkInstall(install, '7', entries, setting)
}

const failing = (cells: Cell[]) =>
  cells.filter((c) => !c.ok).map((c) => `${c.specifier} (${c.environment})`)

describe('the consumer types check', () => {
  it('passes the package as built', async () => {
    const cells = await check('as-built')
    expect(cells).toHaveLength(9)
    expect(failing(cells)).toEqual([])
  }, 120_000)

  it('fails a web entry whose declarations pull in @types/node, though they compile', async () => {
    const cells = await check(
      'node-reference',
      (dir) => {
        const file = join(dir, 'dist/client.d.ts')
        writeFileSync(file, `/// <reference types="node" />\n${readFileSync(file, 'utf8')}`)
      },
      ['runstream', 'runstream/client'],
    )
    expect(cells).toHaveLength(4)
    expect(failing(cells)).toEqual(['runstream/client (web)'])
    const cell = cells.find((c) => !c.ok)
    expect(cell?.errors.join('\n')).toContain('@types/node entered a program without Node types')
  }, 120_000)

  it('fails a Node project when a declaration names a type only the DOM lib has', async () => {
    const cells = await check(
      'dom-only-type',
      (dir) => appendFileSync(join(dir, 'dist/server.d.ts'), '\nexport const init: HeadersInit\n'),
      ['runstream/server', 'runstream/node'],
    )
    expect(cells).toHaveLength(3)
    expect(failing(cells)).toEqual(['runstream/server (node)'])
    expect(cells.find((c) => !c.ok)?.errors.join('\n')).toContain("Cannot find name 'HeadersInit'")
  }, 120_000)

  it('fails an entry whose declarations are missing from the package', async () => {
    const cells = await check('no-types', (dir) => rmSync(join(dir, 'dist/redis.d.ts')), [
      'runstream/node',
      'runstream/redis',
    ])
    expect(cells).toHaveLength(2)
    expect(failing(cells)).toEqual(['runstream/redis (node)'])
  }, 120_000)
})
