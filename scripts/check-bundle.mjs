// Checks the built web entries (run after `npm run build`):
// 1. dist/index.js, dist/server.js and dist/client.js, with every chunk they import, import
//    nothing from node:* or a bare Node builtin, so they run in browsers, Workers, Deno and Bun.
// 2. runstream/client, bundled the way an app's bundler would (minified, its dependencies
//    eventsource-parser included, zod left out as the peer it is), fits 6 kB gzipped.
// Prints the figures; exits 1 on any failure. The checks are exported for test/client/bundle.test.ts.
import { existsSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

export const WEB_ENTRIES = ['dist/index.js', 'dist/server.js', 'dist/client.js']
export const CLIENT_ENTRY = 'dist/client.js'
// 6 KiB, plus the 32 bytes of dropping the leading BOM by hand (Node 24's decoder loses U+FEFF).
export const CLIENT_BUDGET_BYTES = 6176

const builtins = new Set(builtinModules)

/**
 * Follows `entry` (relative to `root`) through every chunk it imports, statically or
 * dynamically, and returns the files it reached, what stays external, and which of those are
 * Node builtins.
 */
export async function findNodeImports(root, entry) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
  })
  const output = Object.values(result.metafile.outputs)[0]
  const external = [...new Set(output.imports.filter((i) => i.external).map((i) => i.path))]
  return {
    files: Object.keys(result.metafile.inputs),
    external,
    nodeImports: external.filter(isNodeBuiltin),
  }
}

/** Bundles `entry` as an app would (minified, dependencies in, zod out) and gzips it. */
export async function bundleSize(root, entry) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    external: ['zod', 'zod/*'],
    logLevel: 'silent',
  })
  const code = result.outputFiles[0].contents
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length }
}

function isNodeBuiltin(path) {
  return path.startsWith('node:') || builtins.has(path) || builtins.has(path.split('/')[0])
}

async function main() {
  const root = fileURLToPath(new URL('..', import.meta.url))
  let failed = false
  const fail = (message) => {
    failed = true
    console.error(`✗ ${message}`)
  }
  for (const entry of WEB_ENTRIES) {
    if (!existsSync(`${root}${entry}`)) {
      fail(`${entry} is missing: run \`npm run build\` first.`)
      continue
    }
    const { files, external, nodeImports } = await findNodeImports(root, entry)
    if (nodeImports.length > 0) {
      fail(
        `${entry} imports Node builtins (${nodeImports.join(', ')}) through ${files.join(', ')}.`,
      )
    } else {
      console.log(
        `✓ ${entry}: ${files.length} file(s), no Node builtins; imports ${external.join(', ') || 'nothing external'}`,
      )
    }
  }
  if (existsSync(`${root}${CLIENT_ENTRY}`)) {
    const { minified, gzipped } = await bundleSize(root, CLIENT_ENTRY)
    const line = `${CLIENT_ENTRY} bundled: ${minified} B minified, ${gzipped} B min+gzip (budget ${CLIENT_BUDGET_BYTES} B, zod excluded)`
    if (gzipped > CLIENT_BUDGET_BYTES) fail(line)
    else console.log(`✓ ${line}`)
  }
  process.exit(failed ? 1 : 0)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
