import { builtinModules } from 'node:module'
import { findCycles, formatCycle } from './cycles.js'
import { type Import, type ImportGraph, isRelative } from './import-graph.js'
import type { Layer } from './rules.js'

// Each check returns one readable message per violation ([] when the code follows the rule), so
// a failing test shows every problem at once, each with the file, the line and what to do.

const RULES = 'test/architecture/rules.ts'

/**
 * The unit a file belongs to: an entry file (`src/server.ts`) is its own unit; any other file
 * belongs to the longest unit of `layers` whose folder holds it, or else to its top folder under
 * src/ (which then is in no layer, and says so).
 */
export function unitOf(file: string, layers: Readonly<Record<string, Layer>>): string {
  const parts = file.split('/')
  if (parts.length <= 2) return file
  let unit = parts.slice(0, 2).join('/')
  for (const name of Object.keys(layers)) {
    if (file.startsWith(`${name}/`) && name.length > unit.length) unit = name
  }
  return unit
}

/** Relative imports that name no source file, and `import()`s the graph cannot follow. */
export function unfollowedImports(
  graph: ImportGraph,
  computed: Readonly<Record<string, string>>,
): string[] {
  return graph.imports.flatMap((i) => {
    if (!i.literal && computed[i.from] === undefined) {
      return [
        `${where(i)} calls import(${i.specifier}), which this test cannot follow: import a string literal, or list the file in COMPUTED_IMPORTS (${RULES}) with why`,
      ]
    }
    if (i.literal && isRelative(i.specifier) && i.to === undefined) {
      return [`${where(i)} imports '${i.specifier}', which names no .ts file under src/`]
    }
    return []
  })
}

/** The most cycles listed: one wrong import into a big folder closes dozens. */
const MAX_CYCLES = 10

/**
 * The import cycles between files, as `a → b → a` (see {@link findCycles}): at most
 * {@link MAX_CYCLES}, then one line that counts the rest and the files on them.
 */
export function importCycles(graph: ImportGraph): string[] {
  const targets = (file: string) =>
    graph.importsOf(file).flatMap((i) => (i.to === undefined ? [] : [i.to]))
  const typesOnly = (from: string, to: string) =>
    graph.importsOf(from).every((i) => i.to !== to || i.typeOnly)
  const cycles = findCycles(graph.files, targets)
  const listed = cycles.slice(0, MAX_CYCLES).map((cycle) => formatCycle(cycle, typesOnly))
  const rest = cycles.slice(MAX_CYCLES)
  if (rest.length === 0) return listed
  const files = new Set(rest.flat())
  for (const cycle of cycles.slice(0, MAX_CYCLES)) for (const file of cycle) files.delete(file)
  return [
    ...listed,
    `… and ${rest.length} more cycles, through ${files.size} more files: ${[...files].sort().join(', ')}`,
  ]
}

/** Cycles among the allowed imports of `layers`: with none, the units form layers. */
export function layerCycles(layers: Readonly<Record<string, Layer>>): string[] {
  const allowed = (unit: string) => layers[unit]?.may ?? []
  return findCycles(Object.keys(layers), allowed).map((cycle) => formatCycle(cycle))
}

/** Imports from one unit into another that `layers` does not allow, and files in no unit. */
export function layerViolations(
  graph: ImportGraph,
  layers: Readonly<Record<string, Layer>>,
): string[] {
  const messages: string[] = []
  const unplaced = new Set<string>()
  for (const file of graph.files) {
    const unit = unitOf(file, layers)
    if (layers[unit] === undefined && !unplaced.has(unit)) {
      unplaced.add(unit)
      messages.push(
        `${unit} is in no layer: add it to LAYERS in ${RULES} with the units it may import and why`,
      )
    }
  }
  for (const i of graph.imports) {
    if (i.to === undefined) continue
    const from = unitOf(i.from, layers)
    const to = unitOf(i.to, layers)
    const layer = layers[from]
    if (from === to || layer === undefined || layer.may.includes(to)) continue
    const allowed = layer.may.length === 0 ? 'no other unit' : `only ${layer.may.join(', ')}`
    messages.push(
      `${where(i)} imports ${i.to}, but ${from} may import ${allowed}: ${layer.why}. Move the shared code down to a unit both may import, or change the rule in ${RULES} with its reason`,
    )
  }
  return messages
}

/** Imports of Node builtins outside the units that run only on Node. */
export function nodeBuiltinsOutside(
  graph: ImportGraph,
  layers: Readonly<Record<string, Layer>>,
  nodeUnits: readonly string[],
): string[] {
  return graph.imports.flatMap((i) => {
    const unit = unitOf(i.from, layers)
    if (!i.literal || !isNodeBuiltin(i.specifier) || nodeUnits.includes(unit)) return []
    return [
      `${where(i)} imports ${i.specifier}, but ${unit} also runs in browsers, Workers, Deno and Bun: Node builtins belong in ${nodeUnits.join(', ')}; take the Node object as a parameter from src/node instead`,
    ]
  })
}

/**
 * Every file that an entry reaches through relative imports and that imports a Node builtin or a
 * Node-only package, with the path from the entry. Type-only imports are followed too: a Node
 * type in a web entry's declarations breaks apps that compile without @types/node.
 */
export function nodeReachedFrom(
  graph: ImportGraph,
  entries: readonly string[],
  nodeOnlyPackages: readonly string[],
): string[] {
  const messages: string[] = []
  for (const entry of entries) {
    if (!graph.files.includes(entry)) {
      messages.push(`${entry} is a web entry but no such file exists under src/`)
      continue
    }
    const previous = new Map<string, string | undefined>([[entry, undefined]])
    const queue = [entry]
    for (let head = 0; head < queue.length; head++) {
      const file = queue[head] as string
      for (const i of graph.importsOf(file)) {
        const pkg = i.literal && !isRelative(i.specifier) ? packageName(i.specifier) : undefined
        if (isNodeBuiltin(i.specifier) || (pkg !== undefined && nodeOnlyPackages.includes(pkg))) {
          messages.push(
            `${entry} reaches Node: ${pathTo(file, previous).join(' → ')}, and ${where(i)} imports ${i.specifier}. A web entry must run without Node: move the Node part to a Node-only unit`,
          )
        }
        if (i.to !== undefined && !previous.has(i.to)) {
          previous.set(i.to, file)
          queue.push(i.to)
        }
      }
    }
  }
  return messages
}

/**
 * Imports of packages that are no peer dependency, of optional peers outside their home units,
 * and of zod by the core other than as `coreZod`.
 */
export function packageViolations(
  graph: ImportGraph,
  layers: Readonly<Record<string, Layer>>,
  manifest: {
    readonly peerDependencies?: Readonly<Record<string, string>>
    readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>
  },
  homes: Readonly<Record<string, readonly string[]>>,
  coreZod: readonly string[],
): string[] {
  const peers = Object.keys(manifest.peerDependencies ?? {})
  const optional = peers.filter((p) => manifest.peerDependenciesMeta?.[p]?.optional === true)
  const messages = optional
    .filter((peer) => homes[peer] === undefined)
    .map(
      (peer) =>
        `${peer} is an optional peer dependency with no home: add it to OPTIONAL_PEER_HOMES in ${RULES} with the units that may import it`,
    )
  for (const i of graph.imports) {
    if (!i.literal || isRelative(i.specifier) || isNodeBuiltin(i.specifier)) continue
    const pkg = packageName(i.specifier)
    const unit = unitOf(i.from, layers)
    const home = homes[pkg]
    if (!peers.includes(pkg)) {
      messages.push(
        `${where(i)} imports ${i.specifier}, which is no peer dependency: runstream has no dependencies, so whatever src/ imports, the app installs (add it to peerDependencies, or do without it)`,
      )
    } else if (home !== undefined && !home.includes(unit)) {
      const allowed = home.length === 0 ? 'nowhere in src/' : `only from ${home.join(', ')}`
      messages.push(
        `${where(i)} imports ${i.specifier}, an optional peer that apps without it do not install: it may be imported ${allowed}`,
      )
    } else if (pkg === 'zod' && unit === 'src/core' && !coreZod.includes(i.specifier)) {
      messages.push(
        `${where(i)} imports ${i.specifier}: the core imports zod only as ${coreZod.join(', ')}, so that it takes schemas of zod and zod/mini alike`,
      )
    }
  }
  return messages
}

/** `node:fs`, `fs`, `fs/promises`: a module that Node provides. */
export function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtinModules.includes(specifier)
}

/** The package a bare specifier names: `zod/mini` → `zod`, `@ag-ui/core/schemas` → `@ag-ui/core`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/')
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/')
}

function where(i: Import): string {
  return `${i.from}:${i.line}`
}

function pathTo(file: string, previous: ReadonlyMap<string, string | undefined>): string[] {
  const path: string[] = []
  for (let at: string | undefined = file; at !== undefined; at = previous.get(at)) path.unshift(at)
  return path
}
