import { CATALOGS, envelopeSchema, eventsOf, type JsonSchema, payloadSchema } from './catalogs.js'
import { zodJsonSchema } from './openapi-common.js'

// The JSON Schemas of envelopes: docs/catalog.schema.json for the execution and orchestration
// catalogs (the file predates the others and keeps its shape), one docs/catalog-<name>.schema.json
// for each other catalog. One file per catalog, not one for all: two catalogs have events of one
// name and different payloads (`complete`), which one envelope's `type` could not tell apart.

/** The files of docs/ holding the JSON Schema of envelopes, in the order the catalogs come. */
export function schemaFiles(): string[] {
  return [...new Set(CATALOGS.map((owner) => owner.schemaFile))]
}

/** The generated JSON Schema of `file`: the envelope of any event of the catalogs it holds. */
export function catalogJsonSchema(file: string): JsonSchema {
  const owners = CATALOGS.filter((owner) => owner.schemaFile === file)
  const { events, shared } = schemaFileDefinitions(file)
  const names = owners.map((owner) => owner.name)
  const from = [...new Set(owners.map((owner) => `'${owner.from}'`))].join(', ')
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `An envelope of runstream's ${names.join(' and ')} (${from})`,
    ...envelopeSchema(
      (event) => `#/$defs/${event}`,
      eventsOf(file).map(({ event }) => event),
    ),
    $defs: { ...events, ...shared },
  }
}

/**
 * The JSON Schemas of a schema file's catalogs: each event's payload, and the shared
 * definitions the payloads reference (`{ "$ref": "#/$defs/Message" }`) instead of repeating them.
 */
export function schemaFileDefinitions(file: string): {
  events: Record<string, JsonSchema>
  shared: Record<string, JsonSchema>
} {
  const owners = CATALOGS.filter((owner) => owner.schemaFile === file)
  const events = Object.fromEntries(
    owners.flatMap((owner) =>
      owner.catalog.names.map((event) => [event, payloadSchema(owner.catalog, event)]),
    ),
  )
  let shared: Record<string, JsonSchema> = {}
  for (const { name, schema } of owners.flatMap((owner) => owner.shared)) {
    if (name in events) throw new Error(`A shared definition is named like an event: ${name}.`)
    shared[name] = zodJsonSchema(schema, 'output')
  }
  // Each definition replaces its copies in the events and in the other definitions. Those are
  // replaced in its own text first too, so the order of the list does not matter.
  let all = { ...events, ...shared }
  for (const name of Object.keys(shared)) {
    const own = all[name] as JsonSchema
    const hoisted = replaceCopies({ ...all, [name]: {} }, JSON.stringify(own), name)
    if (JSON.stringify(hoisted) === JSON.stringify({ ...all, [name]: {} }))
      throw new Error(`No schema of ${file} holds the shared definition ${name}: remove it.`)
    all = { ...hoisted, [name]: own }
    shared = Object.fromEntries(Object.keys(shared).map((key) => [key, all[key] as JsonSchema]))
  }
  return {
    events: Object.fromEntries(Object.keys(events).map((key) => [key, all[key] as JsonSchema])),
    shared,
  }
}

function replaceCopies(
  schemas: Record<string, JsonSchema>,
  text: string,
  name: string,
): Record<string, JsonSchema> {
  const ref = { $ref: `#/$defs/${name}` }
  const replace = (node: unknown): unknown => {
    if (typeof node !== 'object' || node === null) return node
    if (JSON.stringify(node) === text) return ref
    if (Array.isArray(node)) return node.map(replace)
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, replace(value)]))
  }
  return Object.fromEntries(
    Object.entries(schemas).map(([key, schema]) => [
      key,
      Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, replace(v)])) as JsonSchema,
    ]),
  )
}
