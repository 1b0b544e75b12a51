import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import {
  WEB_ENTRIES as BUILT_WEB_ENTRIES,
  // @ts-expect-error a plain .mjs script without types
} from '../../scripts/check-bundle.mjs'
import {
  importCycles,
  layerCycles,
  layerViolations,
  nodeBuiltinsOutside,
  nodeReachedFrom,
  packageViolations,
  unfollowedImports,
} from './checks.js'
import { importGraph, readSources } from './import-graph.js'
import {
  COMPUTED_IMPORTS,
  CORE_ZOD_IMPORTS,
  EXTRA_WEB_ENTRIES,
  LAYERS,
  NODE_ENTRIES,
  NODE_ONLY_PACKAGES,
  NODE_UNITS,
  OPTIONAL_PEER_HOMES,
} from './rules.js'

// The team's rules, checked on the sources (the built files are checked by
// scripts/check-bundle.mjs and test/client/bundle.test.ts): no import cycles, no upward imports,
// Node only at the edge. The rules, with their reasons, are in rules.ts; checks.test.ts shows
// that each check fails when it must.

const root = fileURLToPath(new URL('../..', import.meta.url))
const graph = importGraph(readSources(root))
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const webEntries = [
  ...(BUILT_WEB_ENTRIES as string[]).map((file) => file.replace(/^dist\/(.*)\.js$/, 'src/$1.ts')),
  ...EXTRA_WEB_ENTRIES,
]

describe('the import graph of src/', () => {
  test('holds every source file, and follows every import', () => {
    expect(graph.files.length).toBeGreaterThan(100)
    expect(graph.files).toContain('src/server/run-start.ts')
    expect(unfollowedImports(graph, COMPUTED_IMPORTS)).toEqual([])
  })

  // A cycle makes the files in it one module in all but name: none can be read, tested, moved or
  // split without the others, and the load order decides which sees the other's exports
  // undefined. Type-only imports count: they tie the files together for the reader and in the
  // declarations just as much.
  test('has no import cycle', () => {
    expect(importCycles(graph)).toEqual([])
  })
})

describe('the layering of src/', () => {
  test('the allowed imports between units form no cycle, so the units are layers', () => {
    expect(layerCycles(LAYERS)).toEqual([])
  })

  test('every file is in a unit, and imports only the units its own may import', () => {
    expect(layerViolations(graph, LAYERS)).toEqual([])
  })
})

describe('Node at the edge', () => {
  test('only the Node units import Node builtins', () => {
    expect(nodeBuiltinsOutside(graph, LAYERS, NODE_UNITS)).toEqual([])
  })

  test('every entry is a web entry or a Node entry', () => {
    const entries = graph.files.filter((file) => file.split('/').length === 2)
    const unclassified = entries.filter((e) => !webEntries.includes(e) && !NODE_ENTRIES.includes(e))
    expect(unclassified).toEqual([])
    expect(webEntries.filter((e) => NODE_ENTRIES.includes(e))).toEqual([])
  })

  // Browsers, Workers, Deno and Bun import these; check-bundle.mjs proves it on the built files
  // after a build, this on the sources at every test run, with the path that leads to Node.
  test('no web entry reaches a Node builtin or ioredis, even through type imports', () => {
    expect(webEntries).toContain('src/client.ts')
    expect(nodeReachedFrom(graph, webEntries, NODE_ONLY_PACKAGES)).toEqual([])
  })
})

describe('packages', () => {
  test('src/ imports only peers, each optional peer only from its own unit', () => {
    expect(
      packageViolations(graph, LAYERS, manifest, OPTIONAL_PEER_HOMES, CORE_ZOD_IMPORTS),
    ).toEqual([])
  })
})
