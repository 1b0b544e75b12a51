import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import * as zm from 'zod/mini'
import type { $ZodType } from 'zod/v4/core'
import { safeParse } from 'zod/v4/core'
import { compileFastCheck } from '../../src/core/fast-validate.js'
import {
  type AnyCatalog,
  defineCatalog,
  executionCatalog,
  orchestrationCatalog,
} from '../../src/index.js'

// Schemas of every kind the fast path compiles, and of kinds it must hand to zod, nested in it.
const handMade = defineCatalog({
  mini: zm.object({
    text: zm.string(),
    n: zm.optional(zm.number()),
    flag: zm.boolean(),
    kind: zm.enum(['a', 'b']),
    any: zm.any(),
    nested: zm.optional(zm.object({ text: zm.string(), n: zm.int() })),
  }),
  classic: z.object({ text: z.string(), n: z.number().optional(), tags: z.array(z.string()) }),
  checked: zm.object({ text: zm.string().check(zm.minLength(2)), n: zm.number() }),
  defaulted: z.object({ ok: z.boolean().default(true), text: z.string().optional() }),
  strict: z.strictObject({ text: z.string() }),
  loose: z.looseObject({ text: z.string() }),
  // A catalog refuses transforms (they would run twice); catch is the output-changing kind left.
  caught: z.object({ n: z.number().catch(0), text: z.string().trim() }),
  exact: z.object({ text: z.string().exactOptional() }),
  coerced: z.object({ n: z.coerce.number() }),
  unknownRequired: zm.object({ value: zm.unknown() }),
})

const catalogs: readonly AnyCatalog[] = [executionCatalog, orchestrationCatalog, handMade]

// Values near a schema: mostly of the right kind, sometimes not, keys sometimes missing or extra.
const stray = fc.oneof(
  fc.string({ maxLength: 3 }),
  fc.constantFrom(1.5, Number.NaN, Number.POSITIVE_INFINITY, -0, 7),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant([]),
  fc.constant({}),
)
function near(schema: $ZodType, depth = 0): fc.Arbitrary<unknown> {
  const def = schema._zod.def as {
    type: string
    shape?: Record<string, $ZodType>
    innerType?: $ZodType
    element?: $ZodType
    valueType?: $ZodType
    in?: $ZodType
  }
  let valid: fc.Arbitrary<unknown>
  switch (def.type) {
    case 'string':
      valid = fc.string({ maxLength: 4 })
      break
    case 'number':
      valid = fc.oneof(fc.integer({ min: -3, max: 1000 }), fc.double({ noNaN: true }))
      break
    case 'boolean':
      valid = fc.boolean()
      break
    case 'enum':
      valid = fc.constantFrom(...(schema._zod.values as Set<string>))
      break
    case 'optional':
    case 'default':
      valid = fc.option(near(def.innerType as $ZodType, depth), { nil: undefined })
      break
    case 'pipe':
      valid = near(def.in as $ZodType, depth)
      break
    case 'array':
      valid = fc.array(near(def.element as $ZodType, depth + 1), { maxLength: 2 })
      break
    case 'record':
      valid = fc.dictionary(
        fc.string({ maxLength: 3 }),
        near(def.valueType as $ZodType, depth + 1),
        {
          maxKeys: 2,
        },
      )
      break
    case 'object': {
      const shape = def.shape ?? {}
      valid = fc
        .tuple(
          fc.record(
            Object.fromEntries(
              Object.keys(shape).map((k) => [k, near(shape[k] as $ZodType, depth + 1)]),
            ),
            { requiredKeys: [] },
          ),
          fc.option(fc.dictionary(fc.constantFrom('extra', 'toString'), stray, { maxKeys: 1 })),
        )
        .map(([known, extra]) => ({ ...known, ...extra }))
      break
    }
    default:
      valid =
        depth > 1
          ? stray
          : fc.oneof(stray, fc.dictionary(fc.string({ maxLength: 2 }), stray, { maxKeys: 2 }))
  }
  return fc.oneof({ arbitrary: valid, weight: 6 }, { arbitrary: stray, weight: 1 })
}

describe('fast validation', () => {
  for (const catalog of catalogs) {
    for (const type of catalog.names) {
      it(`gives what zod gives, for any value: ${type}`, () => {
        const schema = catalog.schemas[type] as $ZodType
        let valid = 0
        fc.assert(
          fc.property(near(schema), (data) => {
            const expected = safeParse(schema, structuredClone(data))
            const copied = catalog.validate(type, data)
            expect(copied.ok).toBe(expected.success)
            if (!copied.ok || !expected.success) return
            valid++
            // The same output, keys in the same order, and never the input itself.
            expect(JSON.stringify(copied.data)).toBe(JSON.stringify(expected.data))
            expect(copied.data).toEqual(expected.data)
            if (typeof data === 'object' && data !== null) expect(copied.data).not.toBe(data)
            const owned = catalog.validate(type, data, undefined, true)
            expect(owned).toEqual({ ok: true, data: expected.data })
          }),
          { numRuns: 300 },
        )
        // The values must reach the success path often, or this would prove little.
        expect(valid).toBeGreaterThan(10)
      })
    }
  }

  it('compiles the built-in events that have plain schemas', () => {
    for (const type of ['llm_chunk', 'agent_status', 'workflow_start', 'tool_call'] as const) {
      expect(compileFastCheck(executionCatalog.schemas[type])).toBeTypeOf('function')
    }
    expect(compileFastCheck(handMade.schemas.coerced)).toBeTypeOf('function')
    expect(compileFastCheck(handMade.schemas.strict)).toBeUndefined()
  })

  it('returns an owned payload itself only when it already is the output', () => {
    const exact = { text: 'Hel' }
    const owned = executionCatalog.validate('llm_chunk', exact, undefined, true)
    expect(owned.ok && owned.data).toBe(exact)
    const shared = executionCatalog.validate('llm_chunk', exact)
    expect(shared.ok && shared.data).not.toBe(exact)
    const extra = { text: 'Hel', stray: 1 }
    const stripped = executionCatalog.validate('llm_chunk', extra, undefined, true)
    expect(stripped).toEqual({ ok: true, data: { text: 'Hel' } })
    expect(stripped.ok && stripped.data).not.toBe(extra)
  })

  it('returns an owned payload itself with its keys in any order or an optional one absent', () => {
    // Read by its own keys first: the order, an absent optional and a nested object change nothing.
    const reordered = { execution_id: 'e1', workflow_id: 'w1' }
    const same = executionCatalog.validate('workflow_start', reordered, undefined, true)
    expect(same.ok && same.data).toBe(reordered)
    const absent = { status: 'RUNNING' }
    const kept = executionCatalog.validate('workflow_status', absent, undefined, true)
    expect(kept.ok && kept.data).toBe(absent)
    const nested = { error: { message: 'no' }, status: 'FAILED' }
    const whole = executionCatalog.validate('error', nested, undefined, true)
    expect(whole.ok && whole.data).toBe(nested)
    // A nested key to strip: a copy, stripped where the key was.
    const deep = { status: 'FAILED', error: { message: 'no', stray: 1 } }
    const copy = executionCatalog.validate('error', deep, undefined, true)
    expect(copy).toEqual({ ok: true, data: { status: 'FAILED', error: { message: 'no' } } })
    expect(copy.ok && copy.data).not.toBe(deep)
    // A required member missing: zod's error.
    expect(
      executionCatalog.validate('workflow_start', { workflow_id: 'w1' }, undefined, true).ok,
    ).toBe(false)
  })

  it('leaves the error of an invalid payload to zod', () => {
    const result = executionCatalog.validate('llm_chunk', { text: 3 }, 'task:t1', true)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error.issues[0]?.path).toEqual(['text'])
  })
})
