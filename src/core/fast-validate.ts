import type { $ZodType } from 'zod/v4/core'
import { safeParse } from 'zod/v4/core'

/** What a {@link FastCheck} returns when zod itself must decide (and explain). */
export const UNDECIDED: unique symbol = Symbol('undecided')

/**
 * Validates one value the way `safeParse(schema, value)` does and returns its output, or
 * {@link UNDECIDED}. It never reports a failure itself: the caller runs zod then, so errors,
 * and every case this does not know, stay zod's.
 *
 * With `owned` (the caller made `value` and shares it with no one, such as a freshly parsed
 * JSON value), an object that already is what zod would return (the same keys, every member
 * valid as it is) is returned itself instead of copied; its keys may be in another order.
 */
export type FastCheck = (value: unknown, owned?: boolean) => unknown

/**
 * Compiles a schema into a {@link FastCheck}, or returns `undefined` when none would be faster.
 *
 * Why: catalogs use `zod/mini`, whose objects have no JIT, and `safeParse` allocates a context,
 * a payload, an issues array and a result for every event. The plain shapes events are made of
 * (objects of strings, numbers, booleans, enums, `unknown` and `optional`s) compile here into
 * closures that allocate at most the output object, as zod does. Any other schema, or any
 * check, default, transform, coercion or catchall, goes through `safeParse` for that node.
 */
export function compileFastCheck(schema: $ZodType): FastCheck | undefined {
  return compile(schema)
}

// The def keys a node may have and still be the plain node compiled here.
const COMMON = ['type', 'checks', 'error', 'coerce']
const ALLOWED: Record<string, readonly string[]> = {
  string: COMMON,
  number: COMMON,
  boolean: COMMON,
  unknown: COMMON,
  any: COMMON,
  enum: [...COMMON, 'entries'],
  optional: [...COMMON, 'innerType'],
  object: [...COMMON, 'shape', 'catchall'],
}

interface Def {
  type: string
  checks?: readonly unknown[]
  coerce?: boolean
  catchall?: unknown
  innerType?: $ZodType
  shape?: Record<string, $ZodType>
}

/** A plain node's check, or `undefined` when the node must go through zod. */
function compile(schema: $ZodType): FastCheck | undefined {
  const zod = schema._zod
  const def = zod.def as Def
  const allowed = ALLOWED[def.type]
  if (
    allowed === undefined ||
    (def.checks !== undefined && def.checks.length > 0) ||
    def.coerce === true ||
    def.catchall !== undefined ||
    // Subclasses that parse differently (`z.int()` is a number with a check of its own).
    zod.traits.has('$ZodCheck') ||
    zod.traits.has('$ZodExactOptional') ||
    Object.keys(def).some((key) => !allowed.includes(key))
  ) {
    return undefined
  }
  switch (def.type) {
    case 'string':
      return (v) => (typeof v === 'string' ? v : UNDECIDED)
    case 'number':
      return (v) => (typeof v === 'number' && Number.isFinite(v) ? v : UNDECIDED)
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? v : UNDECIDED)
    case 'unknown':
    case 'any':
      return (v) => v
    case 'enum': {
      const values = zod.values
      return values === undefined ? undefined : (v) => (values.has(v as never) ? v : UNDECIDED)
    }
    case 'optional': {
      const inner = def.innerType as $ZodType
      // A defaulted inner schema substitutes a value for `undefined`: zod's business.
      if (inner._zod.optin === 'defaulted') return undefined
      const check = node(inner)
      return (v, owned) => (v === undefined ? v : check(v, owned))
    }
    case 'object':
      return compileObject(def.shape ?? {})
  }
  return undefined
}

/**
 * A leaf whose output, when valid, is its input itself (a string, a number, an enum member, an
 * `unknown`, or an optional one of those): its check is a test, and an object of such fields is
 * its own output without comparing each output with its input. `undefined` for any other node.
 */
function compileTest(schema: $ZodType): ((value: unknown) => boolean) | undefined {
  if (compile(schema) === undefined) return undefined
  const zod = schema._zod
  const def = zod.def as Def
  switch (def.type) {
    case 'string':
      return (v) => typeof v === 'string'
    case 'number':
      return (v) => typeof v === 'number' && Number.isFinite(v)
    case 'boolean':
      return (v) => typeof v === 'boolean'
    case 'unknown':
    case 'any':
      return () => true
    case 'enum': {
      const values = zod.values as Set<unknown>
      return (v) => values.has(v)
    }
    case 'optional': {
      const inner = compileTest(def.innerType as $ZodType)
      return inner === undefined ? undefined : (v) => v === undefined || inner(v)
    }
  }
  return undefined
}

/** A node's check: compiled when plain, otherwise zod's own parse of that node. */
function node(schema: $ZodType): FastCheck {
  return (
    compile(schema) ??
    ((v) => {
      const result = safeParse(schema, v)
      return result.success ? result.data : UNDECIDED
    })
  )
}

interface Field {
  key: string
  check: FastCheck
  /** Set when the field's output is its input whenever it is valid: see {@link compileTest}. */
  test: ((value: unknown) => boolean) | undefined
  /** Absent, it is left out of the output without being checked (zod's `optional` rung). */
  omitWhenAbsent: boolean
  /** Absent, it is an issue (zod's "nonoptional"). */
  required: boolean
  /** Absent and `undefined`, it is still written out as `undefined`. */
  writeAbsentUndefined: boolean
}

// The rules of zod's `handlePropertyResult`, for a result without issues: unknown keys are
// stripped, and the output has the shape's keys in the shape's order.
function compileObject(shape: Record<string, $ZodType>): FastCheck | undefined {
  if (Object.getOwnPropertySymbols(shape).length > 0) return undefined
  const fields: Field[] = []
  for (const key of Object.keys(shape)) {
    if (key === '__proto__') return undefined
    const schema = shape[key] as $ZodType
    const { optin, optout } = schema._zod
    fields.push({
      key,
      check: node(schema),
      test: compileTest(schema),
      omitWhenAbsent: optin === 'optional' && optout === 'optional',
      required: optin === undefined,
      writeAbsentUndefined: optin === 'defaulted' && optout !== 'optional',
    })
  }
  const count = fields.length

  return (input, owned) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return UNDECIDED
    const source = input as Record<string, unknown>
    let absent = false
    if (owned === true) {
      // Already the output? Every member valid as it is, and no key to strip. (Inline, not a
      // helper: this runs for every event a client receives.) First by its own keys: within a
      // for-in, `source[key]` is read through the engine's enum cache, where a key taken from
      // the schema is a megamorphic lookup.
      let seen = 0
      let kept = true
      for (const key in source) {
        let i = 0
        while (i < count && (fields[i] as Field).key !== key) i++
        if (i === count) {
          kept = false
          break
        }
        const field = fields[i] as Field
        const raw = source[key]
        const test = field.test
        if (test !== undefined) {
          if (!test(raw)) return UNDECIDED
        } else {
          const value = field.check(raw, true)
          if (value === UNDECIDED) return UNDECIDED
          if (value !== raw) kept = false
        }
        seen++
      }
      if (kept && seen === count) return source
      // A key to strip or a member changed: the copy below. Else some field is absent: whether
      // that changes anything is asked field by field.
      absent = kept
    }
    if (absent) {
      let extra = 0
      for (const _ in source) extra++
      let same = true
      for (let i = 0; i < count; i++) {
        const field = fields[i] as Field
        const raw = source[field.key]
        if (raw === undefined && !(field.key in source)) {
          if (field.omitWhenAbsent) continue
          if (field.required) return UNDECIDED
          if (field.writeAbsentUndefined) same = false
        } else extra--
        const value = field.check(raw, true)
        if (value === UNDECIDED) return UNDECIDED
        if (value !== raw) same = false
      }
      if (same && extra === 0) return source
    }
    const output: Record<string, unknown> = {}
    // An indexed loop, and `in` only for an undefined value: this runs for every event.
    for (let i = 0; i < count; i++) {
      const field = fields[i] as Field
      const key = field.key
      const raw = source[key]
      const present = raw !== undefined || key in source
      if (!present) {
        if (field.omitWhenAbsent) continue
        if (field.required) return UNDECIDED
      }
      const value = field.check(raw, owned)
      if (value === UNDECIDED) return UNDECIDED
      if (value !== undefined || present || field.writeAbsentUndefined) output[key] = value
    }
    return output
  }
}
