import { describe, expect, test } from 'vitest'
import {
  importCycles,
  layerCycles,
  layerViolations,
  nodeBuiltinsOutside,
  nodeReachedFrom,
  packageViolations,
  unfollowedImports,
  unitOf,
} from './checks.js'
import { importGraph } from './import-graph.js'
import type { Layer } from './rules.js'

// The architecture checks fail when they must: each is run on a small source tree that breaks
// its rule, and names the files, the lines and the rule.

const graphOf = (files: Record<string, string>) => importGraph(new Map(Object.entries(files)))

const layers: Record<string, Layer> = {
  'src/core': { may: [], why: 'the core knows nothing above it' },
  'src/client': { may: ['src/core'], why: 'the client runs in browsers' },
  'src/server': { may: ['src/core'], why: 'the server speaks Fetch' },
  'src/demo': { may: ['src/core'], why: 'the demo server' },
  'src/demo/page': { may: ['src/client', 'src/demo'], why: 'the page' },
  'src/client.ts': { may: ['src/client'], why: 'runstream/client' },
}

describe('the import graph', () => {
  test('finds every kind of import, over several lines, and none in comments or strings', () => {
    const graph = graphOf({
      'src/a.ts': [
        '// import { x } from "./commented.js"',
        'const text = "import { y } from \'./quoted.js\'"',
        'import {',
        '  b,',
        '  type B,',
        "} from './b.js'",
        "import type { C } from './c.js'",
        "export * from './d.js'",
        "export type { E } from './e.js'",
        "import './f.js'",
        "export const g = () => import('./g.js')",
        "export type H = import('./h.js').H",
        "import { readFile } from 'node:fs/promises'",
      ].join('\n'),
      ...Object.fromEntries(['b', 'c', 'd', 'e', 'f', 'g', 'h'].map((n) => [`src/${n}.ts`, ''])),
    })
    const found = graph.importsOf('src/a.ts').map((i) => [i.to ?? i.specifier, i.line, i.typeOnly])
    expect(found).toEqual([
      ['src/b.ts', 3, false],
      ['src/c.ts', 7, true],
      ['src/d.ts', 8, false],
      ['src/e.ts', 9, true],
      ['src/f.ts', 10, false],
      ['src/g.ts', 11, false],
      ['src/h.ts', 12, true],
      ['node:fs/promises', 13, false],
    ])
  })

  test('resolves ./x.js to x.ts, x.tsx and x/index.ts, and reports what it cannot follow', () => {
    const graph = graphOf({
      'src/a.ts':
        "import './b.js'\nimport './c.js'\nimport './d'\nimport './missing.js'\nconst n = 'x'\nawait import(n)",
      'src/b.ts': '',
      'src/c.tsx': '',
      'src/d/index.ts': '',
    })
    expect(graph.importsOf('src/a.ts').map((i) => i.to)).toEqual([
      'src/b.ts',
      'src/c.tsx',
      'src/d/index.ts',
      undefined,
      undefined,
    ])
    expect(unfollowedImports(graph, {})).toEqual([
      "src/a.ts:4 imports './missing.js', which names no .ts file under src/",
      expect.stringMatching(/^src\/a\.ts:6 calls import\(n\), which this test cannot follow/),
    ])
    expect(unfollowedImports(graph, { 'src/a.ts': 'why' })).toHaveLength(1)
  })
})

describe('importCycles', () => {
  test('names each cycle as a path, type-only steps marked, once whatever file it starts from', () => {
    const graph = graphOf({
      'src/server/many-request.ts': "import { readJson } from './run-start.js'",
      'src/server/run-start.ts': "import { answer } from './stream-answer.js'",
      'src/server/stream-answer.ts': [
        "import type { ManyPlan } from './many-request.js'",
        "import { openMany } from './many-connection.js'",
      ].join('\n'),
      'src/server/many-connection.ts': "import type { ManyPlan } from './many-request.js'",
      'src/server/self.ts': "import './self.js'",
      'src/server/fine.ts': "import './run-start.js'",
    })
    expect(importCycles(graph)).toEqual([
      'src/server/self.ts → src/server/self.ts',
      'src/server/many-request.ts → src/server/run-start.ts → src/server/stream-answer.ts →(type) src/server/many-request.ts',
      'src/server/many-connection.ts →(type) src/server/many-request.ts → src/server/run-start.ts → src/server/stream-answer.ts → src/server/many-connection.ts',
    ])
  })

  test('lists ten cycles of a tangle, then counts the rest and the files on them', () => {
    const spokes = Array.from({ length: 12 }, (_, i) => `src/s${String(i).padStart(2, '0')}.ts`)
    const graph = graphOf({
      'src/hub.ts': spokes.map((s) => `import '${s.replace('src/', './')}'`).join('\n'),
      ...Object.fromEntries(spokes.map((s) => [s, "import './hub.js'"])),
    })
    const report = importCycles(graph)
    expect(report).toHaveLength(11)
    expect(report[0]).toBe('src/hub.ts → src/s00.ts → src/hub.ts')
    expect(report[10]).toBe('… and 2 more cycles, through 2 more files: src/s10.ts, src/s11.ts')
  })

  test('finds none in a tree without one', () => {
    const graph = graphOf({
      'src/a.ts': "import './b.js'\nimport './c.js'",
      'src/b.ts': "import './c.js'",
      'src/c.ts': '',
    })
    expect(importCycles(graph)).toEqual([])
  })
})

describe('layering', () => {
  test('a file belongs to the longest unit that holds it; an entry file is its own unit', () => {
    expect(unitOf('src/demo/page/app.ts', layers)).toBe('src/demo/page')
    expect(unitOf('src/demo/catalog.ts', layers)).toBe('src/demo')
    expect(unitOf('src/client.ts', layers)).toBe('src/client.ts')
    expect(unitOf('src/extra/deep/x.ts', layers)).toBe('src/extra')
  })

  test('an upward or sideways import names the file, the line, the rule and its reason', () => {
    const graph = graphOf({
      'src/core/errors.ts': "\nimport type { Answer } from '../server/answer.js'",
      'src/server/answer.ts': "import { RunstreamError } from '../core/errors.js'",
      'src/client/connect.ts': "import { answer } from '../server/answer.js'",
      'src/demo/page/app.ts': "import { connect } from '../../client/connect.js'",
    })
    expect(layerViolations(graph, layers)).toEqual([
      'src/core/errors.ts:2 imports src/server/answer.ts, but src/core may import no other unit: the core knows nothing above it. Move the shared code down to a unit both may import, or change the rule in test/architecture/rules.ts with its reason',
      'src/client/connect.ts:1 imports src/server/answer.ts, but src/client may import only src/core: the client runs in browsers. Move the shared code down to a unit both may import, or change the rule in test/architecture/rules.ts with its reason',
    ])
  })

  test('a file in no unit is reported once per unit', () => {
    const graph = graphOf({ 'src/extra/a.ts': '', 'src/extra/b.ts': '', 'src/other.ts': '' })
    expect(layerViolations(graph, layers)).toEqual([
      'src/extra is in no layer: add it to LAYERS in test/architecture/rules.ts with the units it may import and why',
      'src/other.ts is in no layer: add it to LAYERS in test/architecture/rules.ts with the units it may import and why',
    ])
  })

  test('rules that allow a cycle between units are reported', () => {
    const looped = { ...layers, 'src/core': { may: ['src/client.ts'], why: 'wrong' } }
    expect(layerCycles(looped)).toEqual(['src/client → src/core → src/client.ts → src/client'])
    expect(layerCycles(layers)).toEqual([])
  })
})

describe('Node at the edge', () => {
  test('a Node builtin outside the Node units is reported, as node:x or as a bare name', () => {
    const graph = graphOf({
      'src/server/a.ts': "import { Buffer } from 'node:buffer'\nimport type { Socket } from 'net'",
      'src/demo/b.ts': "import { createServer } from 'node:http'",
    })
    expect(nodeBuiltinsOutside(graph, layers, ['src/demo'])).toEqual([
      expect.stringMatching(/^src\/server\/a\.ts:1 imports node:buffer, but src\/server also runs/),
      expect.stringMatching(/^src\/server\/a\.ts:2 imports net, but src\/server also runs/),
    ])
  })

  test('a web entry that reaches Node through other files is reported with the path', () => {
    const graph = graphOf({
      'src/client.ts': "export * from './client/connect.js'",
      'src/client/connect.ts': "import type { Body } from './body.js'",
      'src/client/body.ts': "import type { IncomingMessage } from 'node:http'",
      'src/redis.ts': "import Redis from 'ioredis'",
    })
    expect(
      nodeReachedFrom(graph, ['src/client.ts', 'src/redis.ts', 'src/gone.ts'], ['ioredis']),
    ).toEqual([
      'src/client.ts reaches Node: src/client.ts → src/client/connect.ts → src/client/body.ts, and src/client/body.ts:1 imports node:http. A web entry must run without Node: move the Node part to a Node-only unit',
      'src/redis.ts reaches Node: src/redis.ts, and src/redis.ts:1 imports ioredis. A web entry must run without Node: move the Node part to a Node-only unit',
      'src/gone.ts is a web entry but no such file exists under src/',
    ])
  })
})

describe('packages', () => {
  const manifest = {
    peerDependencies: { zod: '^4', react: '^19', ioredis: '^5' },
    peerDependenciesMeta: { react: { optional: true }, ioredis: { optional: true } },
  }

  test('a non-peer, an optional peer away from home and full zod in the core are reported', () => {
    const graph = graphOf({
      'src/client/a.ts': "import { useState } from 'react'\nimport lodash from 'lodash/fp'",
      'src/core/b.ts': "import * as z from 'zod'\nimport { safeParse } from 'zod/v4/core'",
      'src/react.ts': "import { useState } from 'react'",
    })
    expect(
      packageViolations(graph, layers, manifest, { react: ['src/react.ts'], ioredis: [] }, [
        'zod/v4/core',
      ]),
    ).toEqual([
      'src/client/a.ts:1 imports react, an optional peer that apps without it do not install: it may be imported only from src/react.ts',
      expect.stringMatching(
        /^src\/client\/a\.ts:2 imports lodash\/fp, which is no peer dependency/,
      ),
      expect.stringMatching(
        /^src\/core\/b\.ts:1 imports zod: the core imports zod only as zod\/v4\/core/,
      ),
    ])
  })

  test('an optional peer with no home in the rules is reported', () => {
    expect(packageViolations(graphOf({}), layers, manifest, { react: [] }, [])).toEqual([
      'ioredis is an optional peer dependency with no home: add it to OPTIONAL_PEER_HOMES in test/architecture/rules.ts with the units that may import it',
    ])
  })
})
