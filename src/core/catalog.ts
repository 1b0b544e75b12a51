import type { $ZodType, input, output } from 'zod/v4/core'
import { safeParse } from 'zod/v4/core'
import { describe } from './check.js'
import { EventValidationError, type ValidationIssue } from './errors.js'
import { compileFastCheck, type FastCheck, UNDECIDED } from './fast-validate.js'
import { findWireUnsafePart, type WireUnsafePart } from './wire-safe.js'

/** A map from event name to the zod schema of its payload. */
export type EventSchemas = Record<string, $ZodType>

/**
 * A set of named events, each with a zod schema, defined once and used on both ends: it types
 * `emit()` on the server and the events a client receives, and validates at both.
 *
 * Build one with {@link defineCatalog}; derive types with {@link EventName},
 * {@link EventInput}, {@link EventData} and {@link CatalogEvent}.
 */
export interface Catalog<S extends EventSchemas = EventSchemas, T extends keyof S = keyof S> {
  /** The schemas, by event name. */
  readonly schemas: S
  /** The names of the events after which a stream is finished. */
  readonly terminal: readonly T[]
  /** Every event name, in definition order. */
  readonly names: readonly (keyof S & string)[]
  /** Whether the catalog defines `type`. */
  has(type: string): type is keyof S & string
  /** Whether `type` ends a stream. */
  isTerminal(type: string): boolean
  /**
   * The event that ends a cancelled run's stream when its producer did not end it in time
   * (`manager.cancelRun`), made from the cancellation's reason; `undefined` when the catalog
   * declares none. See {@link CatalogOptions.cancel}.
   */
  readonly cancel: ((reason: string) => CancelEvent<T & string>) | undefined
  /**
   * Validates one payload. Returns the parsed output (defaults and transforms applied) or an
   * {@link EventValidationError}; never throws.
   *
   * @param owned - the caller made `data` and shares it with no one (a freshly parsed JSON
   *   value): when it already is the output, it is returned itself rather than copied.
   */
  validate(type: string, data: unknown, stream?: string, owned?: boolean): ValidationResult
}

/** What {@link Catalog.validate} returns. */
export type ValidationResult =
  | { readonly ok: true; readonly data: unknown }
  | { readonly ok: false; readonly error: EventValidationError }

/** An event as {@link CatalogOptions.cancel} makes it: a terminal event's name and its payload. */
export interface CancelEvent<T extends string = string> {
  /** A terminal event of the catalog. */
  readonly type: T
  /** Its payload, validated against the event's schema when it is emitted. */
  readonly data: unknown
}

/** Options of {@link defineCatalog}. */
export interface CatalogOptions<T> {
  /**
   * Event names after which the stream is finished: nothing more may be emitted, and
   * subscribers end after receiving one.
   * @defaultValue `[]`
   */
  terminal?: readonly T[]
  /**
   * Makes the event that ends a cancelled run's stream, from the cancellation's reason. When a
   * run is cancelled (`manager.cancelRun`) and its producer has not ended the stream within the
   * manager's `cancelGraceMs`, runstream emits this event for it, so that every follower sees the
   * end even when the producer's process died. It must return a terminal event of the catalog,
   * with a payload that passes its schema.
   * @defaultValue none: a cancelled run's stream then ends only when its producer ends it (or expires)
   * @example
   * ```ts
   * cancel: (reason) => ({ type: 'error', data: { status: 'CANCELED', error: { message: reason } } })
   * ```
   */
  cancel?: ((reason: string) => { readonly type: T; readonly data: unknown }) | undefined
}

/** Any catalog, whatever its events. */
// biome-ignore lint/suspicious/noExplicitAny: the widest catalog type must accept every schema map
export type AnyCatalog = Catalog<any, any>

/** The event names of a catalog, as a string literal union. */
export type EventName<C extends AnyCatalog> = keyof C['schemas'] & string

/** What `emit()` accepts for event `K`: the schema's input type. */
export type EventInput<C extends AnyCatalog, K extends EventName<C>> = input<C['schemas'][K]>

/** What subscribers receive for event `K`: the schema's output type. */
export type EventData<C extends AnyCatalog, K extends EventName<C>> = output<C['schemas'][K]>

/**
 * The events of a catalog as a union discriminated on `type`, so a `switch (event.type)`
 * narrows `event.data`.
 */
export type CatalogEvent<C extends AnyCatalog> = {
  [K in EventName<C>]: { type: K; data: EventData<C, K> }
}[EventName<C>]

/**
 * The argument list after the event name in `emit(type, ...)`: the payload may be left out when
 * the schema accepts `undefined`.
 */
export type EmitArgs<C extends AnyCatalog, K extends EventName<C>> =
  undefined extends EventInput<C, K> ? [data?: EventInput<C, K>] : [data: EventInput<C, K>]

/**
 * Defines an event catalog: the single source of the events' types.
 *
 * Events travel as JSON and every receiver validates them with the same schema, so each schema's
 * output must be valid input again: checks, defaults, `catch` and plain pipes are fine; a
 * transform (`.transform()`, `z.preprocess`, `z.codec`) or a type JSON cannot carry (`z.date()`,
 * `z.bigint()`, `z.map()`, …) is refused here with a `TypeError` that says what to write instead.
 *
 * @param schemas - a zod schema per event name (any zod v4 schema: classic or mini)
 * @param options - which events are terminal
 * @example
 * ```ts
 * import { z } from 'zod'
 * const catalog = defineCatalog(
 *   { progress: z.object({ pct: z.number() }), done: z.object({ ok: z.boolean() }) },
 *   { terminal: ['done'] },
 * )
 * ```
 */
export function defineCatalog<
  const S extends EventSchemas,
  const T extends keyof S & string = never,
>(schemas: S, options: CatalogOptions<T> = {}): Catalog<S, T> {
  const names = Object.keys(schemas) as (keyof S & string)[]
  for (const name of names) {
    // A name is written as the SSE `event:` line: a line break there would inject frames.
    if (!EVENT_NAME.test(name)) {
      throw new TypeError(
        `defineCatalog: invalid event name ${JSON.stringify(name.slice(0, 40))}: use 1 or more characters without control characters (CR, LF, NUL, …), such as "llm_chunk".`,
      )
    }
  }
  for (const name of names) {
    const schema = schemas[name] as unknown
    if (typeof schema !== 'object' || schema === null || !('_zod' in schema)) {
      throw new TypeError(
        `defineCatalog: event "${name}" needs a zod schema (such as z.object({ … })); got ${describe(schema)}.`,
      )
    }
    const unsafe = findWireUnsafePart(schema as $ZodType)
    if (unsafe !== undefined) throw new TypeError(wireUnsafeMessage(name, unsafe))
  }
  const terminal = [...(options.terminal ?? [])] as T[]
  for (const name of terminal) {
    if (!Object.hasOwn(schemas, name)) {
      throw new TypeError(
        `defineCatalog: terminal event "${name}" is not defined in the catalog. Add a schema for it or remove it from \`terminal\`.`,
      )
    }
  }
  const terminalSet = new Set<string>(terminal)
  const cancel = options.cancel
  if (cancel !== undefined && typeof cancel !== 'function') {
    throw new TypeError(
      `defineCatalog: \`cancel\` must be a function of the reason that returns a terminal event, such as (reason) => ({ type: 'error', data: { message: reason } }); got ${describe(cancel)}.`,
    )
  }
  const fastChecks = new Map<string, { schema: $ZodType; fast: FastCheck | undefined }>()
  let lastType: string | undefined
  let lastKnown: { schema: $ZodType; fast: FastCheck | undefined } | undefined

  return {
    schemas,
    terminal,
    names,
    has: (type: string): type is keyof S & string => Object.hasOwn(schemas, type),
    isTerminal: (type) => terminalSet.has(type),
    cancel,
    validate(type, data, stream, owned) {
      // Small, so that the engine inlines it where it is called and keeps no result object for a
      // valid event; the rest is in decide(). Events mostly come in runs of one type: the last
      // one is kept, so a run costs one string comparison per event instead of a hash lookup.
      const known = type === lastType ? lastKnown : find(type)
      const fast = known?.fast
      if (fast !== undefined) {
        const output = fast(data, owned)
        if (typeof output !== 'symbol' || output !== UNDECIDED) return { ok: true, data: output }
      }
      return decide(type, data, stream, known)
    },
  }

  // The compiled check of `type`, or undefined when the catalog has no such event.
  function find(type: string): { schema: $ZodType; fast: FastCheck | undefined } | undefined {
    // A Map, not `schemas[type]`: the type of a parsed event is a fresh string, which a
    // property lookup must first internalize, every time.
    let known = fastChecks.get(type)
    if (known === undefined) {
      // Compiled on first use, per event name: no work at import time for the built-in catalogs.
      if (!Object.hasOwn(schemas, type)) return undefined
      const schema = schemas[type] as $ZodType
      known = { schema, fast: compileFastCheck(schema) }
      fastChecks.set(type, known)
    }
    lastType = type
    lastKnown = known
    return known
  }

  // zod's verdict, and its error: what the compiled check left undecided.
  function decide(
    type: string,
    data: unknown,
    stream: string | undefined,
    known: { schema: $ZodType } | undefined,
  ): ValidationResult {
    if (known === undefined) {
      return {
        ok: false,
        error: new EventValidationError(
          'unknown_event',
          `Unknown event type "${type}". The catalog defines: ${names.join(', ')}. Add it to the catalog or fix the name.`,
          { eventType: type, stream },
        ),
      }
    }
    const result = safeParse(known.schema, data)
    if (result.success) return { ok: true, data: result.data }
    const issues: ValidationIssue[] = result.error.issues.map((issue) => ({
      path: issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key)),
      message: describeIssue(issue),
      code: issue.code,
    }))
    const summary = issues
      .slice(0, 3)
      .map(
        (issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`,
      )
      .join('; ')
    return {
      ok: false,
      error: new EventValidationError(
        'validation_failed',
        `Invalid payload for event "${type}"${stream ? ` on stream "${stream}"` : ''}: ${summary}. Fix the data to match the catalog's schema.`,
        { eventType: type, stream, issues },
      ),
    }
  }
}

/**
 * Joins two catalogs into one: every event of both, and both lists of terminal events. An event
 * name defined in both is refused with a `TypeError`. The cancellation event is the first
 * catalog's, or else the second's.
 *
 * @example
 * ```ts
 * const agentLoop = mergeCatalogs(executionCatalog, orchestrationCatalog)
 * ```
 */
export function mergeCatalogs<A extends AnyCatalog, B extends AnyCatalog>(
  a: A,
  b: B,
): Catalog<A['schemas'] & B['schemas'], A['terminal'][number] | B['terminal'][number]> {
  for (const name of b.names) {
    if (a.has(name)) {
      throw new TypeError(
        `mergeCatalogs: event "${name}" is defined in both catalogs. Rename one of them.`,
      )
    }
  }
  // The first catalog's cancellation event wins; a catalog without one takes the other's.
  const cancel = a.cancel ?? b.cancel
  return defineCatalog(
    { ...a.schemas, ...b.schemas },
    cancel === undefined
      ? { terminal: [...a.terminal, ...b.terminal] }
      : { terminal: [...a.terminal, ...b.terminal], cancel },
  )
}

const EVENT_NAME = /^[^\u0000-\u001f\u007f]+$/

// What to write instead, per kind of part that cannot travel.
const INSTEAD: Record<string, string> = {
  transform:
    'put the shape that travels in the catalog, and convert where you read the event (for example z.string() in the catalog, then new Date(event.data.at))',
  codec: 'put the encoded shape in the catalog, and decode where you read the event',
  date: 'use z.iso.datetime() (an ISO-8601 string) and turn it into a Date where you read it',
  bigint: 'send it as a string (z.string()) or a number',
  nan: 'send null (z.nullable(z.number())) for a missing number',
}

function wireUnsafeMessage(event: string, part: WireUnsafePart): string {
  const what =
    part.kind === 'transform' || part.kind === 'codec'
      ? `a ${part.kind} (z.transform, z.preprocess and z.codec are transforms) at ${part.path}`
      : `a z.${part.kind}() at ${part.path}, which JSON cannot carry`
  return `defineCatalog: event "${event}" has ${what}. Events travel as JSON and every receiver (runstream's client, a subscriber reading Redis) validates them with the same schema, so its output must be valid input: a transform would run again on its own output and the client would refuse every such event. Instead, ${INSTEAD[part.kind] ?? 'use a JSON type (string, number, boolean, null, array, object)'}.`
}

// zod/mini and classic zod without a locale say only "Invalid input"; add what was expected.
function describeIssue(issue: {
  message: string
  code: string
  expected?: unknown
  values?: unknown
}): string {
  if (
    issue.code === 'invalid_type' &&
    typeof issue.expected === 'string' &&
    !issue.message.includes(issue.expected)
  ) {
    return `${issue.message} (expected ${issue.expected})`
  }
  if (
    issue.code === 'invalid_value' &&
    Array.isArray(issue.values) &&
    issue.message === 'Invalid input'
  ) {
    return `${issue.message} (expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')})`
  }
  return issue.message
}
