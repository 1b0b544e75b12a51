import type { $ZodType } from 'zod/v4/core'

/** A part of a schema that cannot travel as JSON and be validated again by the same schema. */
export interface WireUnsafePart {
  /** What it is: `transform`, `codec`, `date`, `bigint`, … */
  readonly kind: string
  /** Where it is in the payload, such as `data.at` or `data.items[]`. */
  readonly path: string
}

// Types whose output JSON cannot carry: the same schema refuses what JSON.parse gives back
// (a Date becomes a string, NaN becomes null), or JSON.stringify throws (BigInt).
const NOT_JSON = new Set([
  'date',
  'bigint',
  'map',
  'set',
  'symbol',
  'function',
  'promise',
  'nan',
  'file',
])

/**
 * Finds the first part of `schema` whose output, sent as JSON, the same schema would not accept
 * again: a transform (or a codec, or `z.preprocess`, which are transforms too) runs again on its
 * own output at every receiver, and types such as `z.date()` do not survive JSON. Returns
 * `undefined` when every part is safe (checks, defaults, `catch`, plain pipes are).
 */
export function findWireUnsafePart(schema: $ZodType): WireUnsafePart | undefined {
  const seen = new Set<unknown>()
  return visit(schema, 'data')

  function visit(node: $ZodType, path: string): WireUnsafePart | undefined {
    if (seen.has(node)) return undefined
    seen.add(node)
    const def = node._zod.def as unknown as Record<string, unknown> & { type: string }
    if (def.type === 'transform') return { kind: 'transform', path }
    if (def.type === 'pipe' && typeof def.transform === 'function') return { kind: 'codec', path }
    if (NOT_JSON.has(def.type)) return { kind: def.type, path }
    if (def.type === 'lazy' && typeof def.getter === 'function') {
      let inner: unknown
      try {
        inner = (def.getter as () => unknown)()
      } catch {
        return undefined
      }
      return isSchema(inner) ? visit(inner, path) : undefined
    }
    for (const [key, value] of Object.entries(def)) {
      if (key === 'type' || key === 'checks') continue
      const found = visitValue(key, value, path)
      if (found !== undefined) return found
    }
    return undefined
  }

  function visitValue(key: string, value: unknown, path: string): WireUnsafePart | undefined {
    if (isSchema(value)) return visit(value, key === 'element' ? `${path}[]` : path)
    if (Array.isArray(value)) {
      for (const item of value) {
        if (isSchema(item)) {
          const found = visit(item, key === 'items' ? `${path}[]` : path)
          if (found !== undefined) return found
        }
      }
      return undefined
    }
    if (key === 'shape' && typeof value === 'object' && value !== null) {
      for (const [name, member] of Object.entries(value)) {
        if (isSchema(member)) {
          const found = visit(member, `${path}.${name}`)
          if (found !== undefined) return found
        }
      }
    }
    return undefined
  }
}

function isSchema(value: unknown): value is $ZodType {
  return typeof value === 'object' && value !== null && '_zod' in value
}
