import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** The runtimes other than Node that the tests run runstream on. */
export type RuntimeName = 'bun' | 'deno' | 'workerd'

/** A runtime's binary, found in node_modules. */
export interface Runtime {
  readonly name: RuntimeName
  /** The absolute path of the binary. */
  readonly path: string
  /** The version it reports, such as `1.4.5` (workerd: the date of its build, `2026-11-17`). */
  readonly version: string
}

const require = createRequire(import.meta.url)

/**
 * Finds the binary of a runtime installed by its npm package (the devDependencies `bun`, `deno`
 * and `workerd`). The binary ships in a package per platform (`@oven/bun-linux-x64`,
 * `@deno/linux-x64-glibc`, `@cloudflare/workerd-linux-64`, …) that npm installs for this machine
 * only. When npm runs their postinstall scripts, bun's moves its binary to `bun/bin/bun.exe`
 * (leaving the platform package empty), deno's links it to `deno/deno` and workerd's to
 * `workerd/bin/workerd`, so both places are tried. A candidate counts only if it runs: a
 * placeholder left by a skipped script does not.
 *
 * Returns the runtime, or why there is none.
 */
export function findRuntime(name: RuntimeName): Runtime | string {
  const platform =
    name === 'bun' ? bunPackage() : name === 'deno' ? denoPackage() : workerdPackage()
  if (typeof platform === 'string') return `${name}: ${platform}`
  const exe = process.platform === 'win32' ? '.exe' : ''
  const places = [
    platform,
    name === 'bun'
      ? { name: 'bun', binary: 'bin/bun.exe' }
      : name === 'deno'
        ? { name: 'deno', binary: `deno${exe}` }
        : { name: 'workerd', binary: `bin/workerd${exe}` },
  ]
  for (const place of places) {
    const path = packageFile(place.name, place.binary)
    const version = path === undefined ? undefined : versionOf(path)
    if (path !== undefined && version !== undefined) return { name, path, version }
  }
  const tried = places.map((place) => `node_modules/${place.name}/${place.binary}`).join(' nor ')
  return `${name}: neither ${tried} runs on ${process.platform}-${process.arch}. Run \`npm install\`: it installs the devDependency \`${name}\` and its ${platform.name} package.`
}

/**
 * Call at the top of a test file that runs a runtime: returns it, or warns (in CI, throws) when
 * it is missing. CI installs the devDependencies, so a runtime test that silently never runs
 * there proves nothing.
 */
export function requireRuntime(name: RuntimeName, what: string): Runtime | undefined {
  const found = findRuntime(name)
  if (typeof found !== 'string') return found
  const message = `${what}: ${found}`
  if (process.env.CI) throw new Error(`${message} CI must run the ${name} tests.`)
  console.warn(`${message} Skipped.`)
  return undefined
}

/** Bun's platform package: `@oven/bun-<os>-<arch>[-musl|-android]`, binary `bin/bun`. */
function bunPackage(): { name: string; binary: string } | string {
  const os =
    process.platform === 'win32'
      ? 'windows'
      : process.platform === 'android'
        ? 'linux'
        : process.platform
  if (!['darwin', 'linux', 'windows', 'freebsd'].includes(os)) {
    return `Bun publishes no binary for ${process.platform}.`
  }
  const arch = process.arch === 'arm64' ? 'aarch64' : process.arch
  if (arch !== 'x64' && arch !== 'aarch64') return `Bun publishes no binary for ${process.arch}.`
  const abi = process.platform === 'android' ? '-android' : isMusl() ? '-musl' : ''
  return {
    name: `@oven/bun-${os}-${arch}${abi}`,
    binary: process.platform === 'win32' ? 'bin/bun.exe' : 'bin/bun',
  }
}

/** Deno's platform package: `@deno/<platform>-<arch>[-glibc]`, binary `deno`. */
function denoPackage(): { name: string; binary: string } | string {
  if (!['darwin', 'linux', 'win32'].includes(process.platform)) {
    return `Deno publishes no npm binary for ${process.platform}.`
  }
  if (process.arch !== 'x64' && process.arch !== 'arm64') {
    return `Deno publishes no binary for ${process.arch}.`
  }
  if (isMusl()) return 'Deno publishes no npm binary for musl Linux.'
  const libc = process.platform === 'linux' ? '-glibc' : ''
  return {
    name: `@deno/${process.platform}-${process.arch}${libc}`,
    binary: process.platform === 'win32' ? 'deno.exe' : 'deno',
  }
}

/** workerd's platform package: `@cloudflare/workerd-<os>-<64|arm64>`, binary `bin/workerd`. */
function workerdPackage(): { name: string; binary: string } | string {
  const os = process.platform === 'win32' ? 'windows' : process.platform
  if (!['darwin', 'linux', 'windows'].includes(os)) {
    return `workerd publishes no binary for ${process.platform}.`
  }
  if (process.arch !== 'x64' && process.arch !== 'arm64') {
    return `workerd publishes no binary for ${process.arch}.`
  }
  // Windows on arm64 runs the x64 build, as workerd's own installer picks it.
  const arch = process.arch === 'x64' || os === 'windows' ? '64' : 'arm64'
  return {
    name: `@cloudflare/workerd-${os}-${arch}`,
    binary: process.platform === 'win32' ? 'bin/workerd.exe' : 'bin/workerd',
  }
}

function isMusl(): boolean {
  if (process.platform !== 'linux') return false
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } }
  return report.header?.glibcVersionRuntime === undefined
}

/** The path of `file` in the installed package `name`, or `undefined` when it is not there. */
function packageFile(name: string, file: string): string | undefined {
  try {
    const path = join(dirname(require.resolve(`${name}/package.json`)), file)
    return existsSync(path) ? path : undefined
  } catch {
    return undefined
  }
}

/** The version a binary prints, or `undefined` when it does not run. */
function versionOf(path: string): string | undefined {
  try {
    const output = execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 15_000 })
    // Bun and Deno print a semver; workerd the date of its build.
    return /\d+[.-]\d+[.-]\d+\S*/.exec(output)?.[0]
  } catch {
    return undefined
  }
}
