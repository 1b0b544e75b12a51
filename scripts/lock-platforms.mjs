// Adds lock entries for platform-specific optional packages that the package registry reachable
// here does not serve (for example @biomejs/cli-darwin-arm64). npm drops them from
// package-lock.json when it cannot fetch their manifests, and `npm ci` then refuses the lock as
// out of sync, on every platform. The entries added carry the platform fields, so npm skips them
// on other machines exactly as it skips any optional package for another platform.
//
// Run after every `npm install` that changes dependencies: node scripts/lock-platforms.mjs
import { readFileSync, writeFileSync } from 'node:fs'

const path = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(path, 'utf8'))
const packages = lock.packages
let added = 0

for (const [location, entry] of Object.entries(packages)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    if (resolve(location, name) !== undefined) continue
    const platform = platformOf(name)
    if (platform === undefined) continue
    const version = spec.replace(/^[\^~=]/, '')
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version)) continue
    packages[`node_modules/${name}`] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...platform,
    }
    added++
  }
}

// npm keeps entries sorted by location.
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) =>
    a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0,
  ),
)
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`)
console.log(`lock-platforms: added ${added} platform entries`)

// Where npm would find `name` from a package at `location`: its own node_modules, then each
// ancestor's, then the top.
function resolve(location, name) {
  let base = location
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${name}`
    if (packages[candidate] !== undefined) return candidate
    if (base === '') return undefined
    const cut = base.lastIndexOf('/node_modules/')
    base = cut === -1 ? '' : base.slice(0, cut)
  }
}

// The os, cpu and libc a platform package is for, read from its name.
function platformOf(name) {
  // Some packages spell the platform their own way: workerd's are `…-windows-64`, `…-darwin-64`.
  const tail = name
    .split('/')
    .pop()
    .replace(/(^|-)windows($|-)/, '$1win32$2')
    .replace(/-64$/, '-x64')
  const os = [
    'android',
    'darwin',
    'freebsd',
    'linux',
    'netbsd',
    'openbsd',
    'sunos',
    'win32',
    'aix',
    'openharmony',
  ].find((candidate) => tail.includes(candidate))
  const cpu = [
    'arm64',
    'arm',
    'x64',
    'ia32',
    'loong64',
    'mips64el',
    'ppc64',
    'riscv64',
    's390x',
  ].find((candidate) =>
    new RegExp(`(^|-)${candidate}($|-)`).test(
      tail.replace(/-(gnu|musl|msvc|gnueabihf|musleabihf|eabi)$/, ''),
    ),
  )
  if (os === undefined || cpu === undefined) return undefined
  const libc = /musl/.test(tail) ? ['musl'] : os === 'linux' ? ['glibc'] : undefined
  return { os: [os], cpu: [cpu], ...(libc ? { libc } : {}) }
}
