/** Packing the package and keeping one consumer install per TypeScript version. */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Packs the package at `root` into `destination` and returns the tarball's path. */
export async function pack(root: string, destination: string): Promise<string> {
  if (!existsSync(join(root, 'dist/index.d.ts')))
    throw new Error('dist/ is missing: run `npm run build` first.')
  mkdirSync(destination, { recursive: true })
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--pack-destination', destination, '--silent'],
    { cwd: root },
  )
  const [info] = JSON.parse(stdout) as { filename: string }[]
  if (info === undefined) throw new Error('npm pack printed nothing')
  return join(destination, info.filename)
}

/**
 * Makes `dir` an install of `specs` (a TypeScript, maybe an @types/node, else the repository's)
 * with the package's dependencies and peers, then unpacks `tarball` as its
 * `node_modules/runstream`. npm runs only when the wanted specs changed since the last run.
 */
export async function prepareInstall(
  dir: string,
  specs: string[],
  tarball: string,
  manifest: PackageManifest,
): Promise<void> {
  const typesNode = `@types/node@${manifest.devDependencies?.['@types/node'] ?? '*'}`
  const wanted = [
    ...specs,
    ...Object.entries(manifest.dependencies ?? {}).map(([name, range]) => `${name}@${range}`),
    ...Object.entries(manifest.peerDependencies ?? {}).map(([name, range]) => `${name}@${range}`),
    ...(specs.some((spec) => spec.startsWith('@types/node@')) ? [] : [typesNode]),
    // React ships no types of its own: a React project installs them, as runstream/react's does.
    `@types/react@${manifest.devDependencies?.['@types/react'] ?? '*'}`,
  ]
  const stamp = join(dir, '.installed')
  const key = JSON.stringify(wanted)
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== key) {
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'package.json'), '{ "private": true }\n')
    await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', ...wanted],
      { cwd: dir },
    )
    writeFileSync(stamp, key)
  }
  const target = join(dir, 'node_modules/runstream')
  rmSync(target, { recursive: true, force: true })
  mkdirSync(target, { recursive: true })
  await run('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'])
}

/** The fields of package.json this script reads. */
export interface PackageManifest {
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  devDependencies?: Record<string, string>
}

/** Where the installs live: outside the repository, one folder per checkout. */
export function cacheDir(root: string): string {
  const id = createHash('sha256').update(resolve(root)).digest('hex').slice(0, 12)
  return process.env.RUNSTREAM_CONSUMER_DIR ?? join(tmpdir(), `runstream-consumer-types-${id}`)
}
