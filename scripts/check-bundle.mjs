// Checks the built web entries (run after `npm run build`):
// 1. dist/index.js, dist/server.js, dist/client.js, dist/fold.js, dist/react.js, dist/ag-ui.js
//    and dist/ai-sdk.js, with every chunk they import, import nothing from node:* or a bare Node
//    builtin, so they run in browsers, Workers, Deno and Bun.
// 2. runstream/client, bundled the way an app's bundler would (minified, zod left out as the
//    peer it is), fits the budget gzipped.
// 3. dist/browser/client.js, the client as one file for a page without a bundler, imports
//    nothing (it is self-contained) and fits the same budget gzipped, as a page loads it.
// 4. runstream/react adds at most 2 kB gzipped to an app that has the whole client (React, the
//    app's own, left out).
// Prints the figures; exits 1 on any failure. The checks are exported for test/client/bundle.test.ts.
import { existsSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

export const WEB_ENTRIES = [
  'dist/index.js',
  'dist/server.js',
  'dist/client.js',
  'dist/fold.js',
  'dist/react.js',
  'dist/ag-ui.js',
  'dist/ai-sdk.js',
]
export const CLIENT_ENTRY = 'dist/client.js'
export const BROWSER_CLIENT = 'dist/browser/client.js'
// 6144 until the client checked every option, read payload framing and bounded every line of an
// event (issues 13 to 15): the option checks alone take about 1 KB of the 1.3 KB added, while the
// client's own SSE parser is 1.3 KB smaller than eventsource-parser was. Then 32 more for dropping
// the leading BOM by hand (Node 24's streaming decoder can lose a U+FEFF of the data), and about
// 300 more when the cursor carried the stream's epoch and gaps waited for the events before them
// (issue 15: the epoch frame, the core's cursor parser, the queue's marks).
// Then about 900 more for subscribeMany (issue 18): several streams on one connection, the only
// way a page follows more than six over HTTP/1.1; about 170 of it for connect's subscription
// taking a plan (the request of each attempt, a restart for a new list), the rest the composite
// cursor, one cursor per stream and the list's updates.
// Then 75 more for consuming as fast as eventsource-parser + JSON.parse (issue 19): the parser
// reads a chunk in one loop with the event in locals (a call per line and a write barrier per
// field cost more than the parsing), and the queue, cursor and listeners save a call, a getter
// and a store per event; about 100 B in all. Then 55 more for `on()` handlers keeping the lists
// of the last type and of '*' at hand (two hash lookups less per event): payload token deltas
// went from 0.94–0.96× to 0.98× the bare parser, in the same interleaved runs (issue 19).
export const CLIENT_BUDGET_BYTES = 8830
export const REACT_ENTRY = 'dist/react.js'
export const REACT_BUDGET_BYTES = 2048

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

/** The size of a built file as it is served: its bytes, and gzipped. */
export function fileSize(root, file) {
  const code = readFileSync(`${root}${file}`)
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length }
}

/**
 * Bundles `entry` as an app would (minified, dependencies in, zod and React out) and gzips it.
 * Several entries are bundled together, as one app importing all of them.
 */
export async function bundleSize(root, ...entries) {
  const contents = entries.map((entry) => `export * from './${entry}'`).join('\n')
  const result = await build({
    absWorkingDir: root,
    stdin: { contents, resolveDir: root, loader: 'js' },
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    external: ['zod', 'zod/*', 'react', 'react-dom'],
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
    if (existsSync(`${root}${REACT_ENTRY}`)) {
      const both = await bundleSize(root, CLIENT_ENTRY, REACT_ENTRY)
      const added = both.gzipped - gzipped
      const reactLine = `${REACT_ENTRY} adds ${added} B min+gzip to the client (budget ${REACT_BUDGET_BYTES} B, React excluded)`
      if (added > REACT_BUDGET_BYTES) fail(reactLine)
      else console.log(`✓ ${reactLine}`)
    }
  }
  if (!existsSync(`${root}${BROWSER_CLIENT}`)) {
    fail(`${BROWSER_CLIENT} is missing: run \`npm run build\` first.`)
  } else {
    const { external } = await findNodeImports(root, BROWSER_CLIENT)
    const { minified, gzipped } = fileSize(root, BROWSER_CLIENT)
    const line = `${BROWSER_CLIENT}: ${minified} B, ${gzipped} B gzipped (budget ${CLIENT_BUDGET_BYTES} B), imports ${external.join(', ') || 'nothing'}`
    if (external.length > 0 || gzipped > CLIENT_BUDGET_BYTES) fail(line)
    else console.log(`✓ ${line}`)
  }
  process.exit(failed ? 1 : 0)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
