import { type $ZodType, toJSONSchema } from 'zod/v4/core'
import type { AnyCatalog } from '../../src/index.js'
import type { JsonSchema } from './catalogs.js'

// What the OpenAPI documents of every handler share: the error answers and their body, the
// cancel answer, the cursor parameters, the stream's first lines, and the JSON Schemas generated
// from zod.

/** An event id. */
const ID_PATTERN = '^(0|[1-9][0-9]{0,15})$'

/** A cursor: an event id, optionally after its epoch and a dot (docs/wire-format.md). */
export const CURSOR_PATTERN = '^([A-Za-z][0-9A-Za-z]{0,31}\\.)?(0|[1-9][0-9]{0,15})$'

/** The headers of every `200` event stream. */
export const SSE_HEADERS: JsonSchema = {
  'Cache-Control': { schema: { type: 'string', const: 'no-cache, no-transform' } },
  'X-Accel-Buffering': { schema: { type: 'string', const: 'no' } },
}

/**
 * What every event stream sends before its first event, in the examples: the reconnection delay,
 * the `: ok` comment and the epoch frame.
 */
export const SSE_PRELUDE: readonly string[] = ['retry: 2000', ': ok', '', 'id: lz3kq9a1x0.0', '']

/**
 * A route's error answers, as references to `components/responses`: the four every route has
 * (401, 403, 500, 503) and `own`, its other statuses by component name.
 */
export function failures(own: Readonly<Record<string, string>>): Record<string, JsonSchema> {
  const names = {
    '401': 'Unauthorized',
    '403': 'Forbidden',
    '500': 'InternalError',
    '503': 'Unavailable',
    ...own,
  }
  // Integer-like keys keep ascending order wherever they are spread: the JSON is unchanged.
  return Object.fromEntries(
    Object.entries(names).map(([status, name]) => [
      status,
      { $ref: `#/components/responses/${name}` },
    ]),
  )
}

/** An error answer with runstream's error body, an example per code. */
export function errorResponse(
  status: number,
  description: string,
  codes: readonly string[],
  headers?: JsonSchema,
): JsonSchema {
  return {
    description,
    ...(headers === undefined ? {} : { headers }),
    content: {
      'application/json': {
        schema: { $ref: '#/components/schemas/ErrorBody' },
        examples: Object.fromEntries(
          codes.map((code) => [code, { value: { status, error: { code, message: '…' } } }]),
        ),
      },
    },
  }
}

/** The error answers of the handlers, by component name. */
export function errorResponses(): Record<string, JsonSchema> {
  const retry = { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } }
  return {
    BadRequest: errorResponse(
      400,
      'A query parameter, the cursor or the id is invalid, or the path has a dot segment or a backslash.',
      ['invalid_request', 'invalid_cursor', 'unknown_event', 'invalid_stream_id', 'invalid_path'],
    ),
    Unauthorized: errorResponse(
      401,
      'Refused by the `authorize` hook (which builds this answer with `jsonError`).',
      ['unauthorized'],
    ),
    Forbidden: errorResponse(403, 'The `authorize` hook returned `false`.', ['forbidden']),
    NotFound: errorResponse(404, 'The `streamExists` hook returned `false`.', ['stream_not_found']),
    RunNotFound: errorResponse(404, 'The store knows no such run or stream.', ['run_not_found']),
    BadBody: errorResponse(400, 'The body is not JSON.', ['invalid_body']),
    BodyTooLarge: errorResponse(413, 'The body is over `maxBodyBytes`.', ['body_too_large']),
    InternalError: errorResponse(
      500,
      'A hook threw; the details went to `onError`, never to the client.',
      ['internal_error'],
    ),
    Unavailable: errorResponse(
      503,
      'The event store could not be read, the handler is shutting down, or it has `maxConnections` streams open. Retry after `Retry-After`.',
      ['store_failed', 'unavailable', 'server_busy'],
      retry,
    ),
    TooManyConnections: errorResponse(
      429,
      'This client has `maxConnectionsPerClient` streams open already (the key is `clientKey`’s, or its address on Node). Retry after `Retry-After`, or close one.',
      ['too_many_connections'],
      retry,
    ),
  }
}

/**
 * The responses of `all` that `paths` refers to, in `all`'s order: a document lists only the
 * error answers its own routes give.
 */
export function referencedResponses(
  paths: JsonSchema,
  all: Readonly<Record<string, JsonSchema>>,
): Record<string, JsonSchema> {
  const text = JSON.stringify(paths)
  return Object.fromEntries(
    Object.entries(all).filter(([name]) => text.includes(`"#/components/responses/${name}"`)),
  )
}

/** The headers the error answers refer to, by component name. */
export function errorHeaders(): Record<string, JsonSchema> {
  return {
    RetryAfter: {
      description: 'Seconds to wait before retrying.',
      schema: { type: 'integer', minimum: 0 },
    },
  }
}

/** `Last-Event-ID` and its query parameter twin, by component name. */
export function cursorParameters(): Record<string, JsonSchema> {
  return {
    LastEventIdQuery: {
      name: 'lastEventId',
      in: 'query',
      required: false,
      description:
        "Resume after this cursor, for clients that cannot set the `Last-Event-ID` header: an event id, qualified with its epoch (`<epoch>.<id>`, as the epoch frame and runstream's client give it) or plain (that id in the current incarnation). The header wins when both are sent. `0` means from the start.",
      schema: { type: 'string', pattern: CURSOR_PATTERN },
      example: 'lz3kq9a1x0.42',
    },
    LastEventIdHeader: {
      name: 'Last-Event-ID',
      in: 'header',
      required: false,
      description:
        "Resume after this cursor (EventSource sends the last id it saw on reconnect): an event id, qualified with its epoch (`<epoch>.<id>`) or plain. A cursor of another epoch than the stream's gets `runstream.gap` (`restarted`) and the current incarnation from its start. `0` means from the start.",
      schema: { type: 'string', pattern: CURSOR_PATTERN },
    },
  }
}

/**
 * The JSON Schema of a zod schema, without `$schema`: `input` for what a client sends, `output`
 * for what it receives. A `z.custom` check has no JSON Schema; the ones the protocols' schemas
 * use accept exactly the plain objects, which is probed here rather than assumed, so a new kind
 * of custom check fails the generation instead of being documented wrongly.
 */
export function zodJsonSchema(schema: $ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...json } = toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    override({ zodSchema, jsonSchema }) {
      const def = zodSchema._zod.def
      if (def.type !== 'custom') return
      const check = (def as { fn?: (value: unknown) => unknown }).fn
      const objectsOnly =
        typeof check === 'function' &&
        check({}) === true &&
        check([]) === false &&
        check(null) === false &&
        check('') === false
      if (!objectsOnly)
        throw new Error(
          'A z.custom check that is not "a plain object" has no JSON Schema: describe it here.',
        )
      jsonSchema.type = 'object'
    },
  }) as JsonSchema
  return json
}

/**
 * The components of a catalog's events, each the JSON Schema of its payload (the whole protocol
 * event, `type` included), and their union discriminated by `type`.
 * @param name - the component name of an event
 */
export function eventComponents(
  catalog: AnyCatalog,
  name: (event: string) => string,
  union: { name: string; description: string },
): Record<string, JsonSchema> {
  const schemas: Record<string, JsonSchema> = {}
  const mapping: Record<string, string> = {}
  for (const event of catalog.names) {
    schemas[name(event)] = {
      title: event,
      ...zodJsonSchema(catalog.schemas[event] as $ZodType, 'output'),
    }
    mapping[event] = `#/components/schemas/${name(event)}`
  }
  return {
    [union.name]: {
      description: union.description,
      oneOf: Object.values(mapping).map(($ref) => ({ $ref })),
      discriminator: { propertyName: 'type', mapping },
    },
    ...schemas,
  }
}

/** The body of every error answered before a stream starts: `{ status, error: { code, message } }`. */
export function errorBodySchema(): JsonSchema {
  return {
    type: 'object',
    description: 'Every error answered before a stream starts.',
    properties: {
      status: {
        type: 'integer',
        minimum: 400,
        maximum: 599,
        description: 'The HTTP status, repeated.',
      },
      error: {
        type: 'object',
        properties: {
          code: {
            type: 'string',
            description:
              'What went wrong: `invalid_request`, `invalid_cursor`, `unknown_event`, `invalid_stream_id`, `invalid_path`, `invalid_body`, `unauthorized`, `forbidden`, `not_found`, `stream_not_found`, `run_not_found`, `method_not_allowed`, `run_exists`, `body_too_large`, `too_many_connections`, `internal_error`, `store_failed`, `unavailable`, `server_busy`, or a code of your `authorize` hook.',
          },
          message: {
            type: 'string',
            description: 'What to do about it. Never an internal error message.',
          },
          details: {
            type: 'object',
            description: 'Structured facts, such as the valid event names.',
          },
        },
        required: ['code', 'message'],
      },
    },
    required: ['status', 'error'],
  }
}

/** The answer of a cancel route: `202 { status, stream, outcome }`. */
export function cancelAnswerSchema(): JsonSchema {
  return {
    type: 'object',
    description: 'The answer of a cancel route.',
    properties: {
      status: { type: 'integer', const: 202 },
      stream: { type: 'string', description: 'The run’s stream, such as `workflow:exec_42`.' },
      outcome: {
        type: 'string',
        enum: ['canceled', 'finished'],
        description:
          '`canceled`: the run was running and every process was told; `finished`: it had ended already.',
      },
    },
    required: ['status', 'stream', 'outcome'],
  }
}

/** The `202` of a cancel route, described as `description`: its body is a `CancelAnswer`. */
export function cancelResponse(description: string): JsonSchema {
  return {
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/CancelAnswer' } } },
  }
}

/** The `code` of a control event's data: a `runstream.error`'s, or `cursor_expired` for a gap. */
export function controlCodeSchema(): JsonSchema {
  return {
    type: 'string',
    enum: ['store_failed', 'subscriber_overflow', 'aborted', 'cursor_expired'],
  }
}

/** A component or operation name from a name's parts: `llm`, `chunk` → `LlmChunk`. */
export function pascalCase(parts: readonly string[]): string {
  return parts.map((part) => `${part[0]?.toUpperCase()}${part.slice(1)}`).join('')
}

/** A run id, as the routes carry it (`isRunId`). */
export function runIdSchema(): JsonSchema {
  return {
    type: 'string',
    minLength: 1,
    maxLength: 128,
    pattern: '^[A-Za-z0-9_:@~+=-][A-Za-z0-9_.:@~+=-]*$',
  }
}

/** The data of a `runstream.gap` control event, in runstream's own framing. */
export function gapSchema(): JsonSchema {
  const id = { type: ['string', 'null'], pattern: ID_PATTERN }
  return {
    type: 'object',
    description:
      'The data of a `runstream.gap` control event: the cursor is older than what the store holds (`expired`), unknown to it (`unknown`), or of an earlier incarnation of the stream, which the store started over (`restarted`, also sent mid-stream when it starts over); the stream goes on from the oldest held event.',
    properties: {
      reason: { type: 'string', enum: ['expired', 'unknown', 'restarted'] },
      after: {
        type: 'string',
        pattern: CURSOR_PATTERN,
        description: 'The cursor the client sent.',
      },
      firstId: { ...id, description: 'The oldest event id held, or null.' },
      lastId: { ...id, description: 'The newest event id held, or null.' },
    },
    required: ['reason', 'after', 'firstId', 'lastId'],
  }
}

/**
 * The `x-itemSchema` of a `text/event-stream` answer: one server-sent event, in the shape OpenAPI
 * 3.2 gives `itemSchema` (`id`, `event`, `data`, with the JSON `data:` under `contentSchema`).
 * An extension, as these documents are 3.1, which most tools read; renaming it is the whole move
 * to 3.2.
 * @param data - the schema of an event's parsed `data:`
 * @param more - other `data:` values that are not JSON, such as the AI SDK's `[DONE]`
 */
export function sseItemSchema(data: JsonSchema, more: readonly JsonSchema[] = []): JsonSchema {
  const json = { type: 'string', contentMediaType: 'application/json', contentSchema: data }
  return {
    type: 'object',
    properties: {
      id: {
        type: 'string',
        description:
          'The cursor after this event, to send back as `Last-Event-ID`; an `id:` line alone is the epoch frame (`<epoch>.<id>`), which dispatches no event. Control events have none.',
      },
      event: {
        type: 'string',
        description:
          "The event's `type`, or `runstream.error` / `runstream.gap` for a control event.",
      },
      data: more.length === 0 ? json : { oneOf: [json, ...more] },
      retry: {
        type: 'integer',
        minimum: 0,
        description: 'Sent once, first: the reconnection delay in ms.',
      },
    },
  }
}

/** The parameter that filters a stream by event type, with the names it accepts. */
export function eventsParameter(description: string, names?: readonly string[]): JsonSchema {
  return {
    name: 'events',
    in: 'query',
    required: false,
    description,
    style: 'form',
    explode: false,
    schema: {
      type: 'array',
      minItems: 1,
      items: names === undefined ? { type: 'string' } : { type: 'string', enum: names },
    },
  }
}

/**
 * Replaces every subschema of `schemas` that is `shared`, member for member, with a reference
 * to the component `name`, and adds that component: a type the protocol names (AG-UI's `Message`)
 * is then one schema, not a copy in every event that carries it.
 */
export function hoistShared(
  schemas: Record<string, JsonSchema>,
  name: string,
  shared: JsonSchema,
): Record<string, JsonSchema> {
  const text = JSON.stringify(shared)
  const ref = { $ref: `#/components/schemas/${name}` }
  const replace = (node: unknown): unknown => {
    if (typeof node !== 'object' || node === null) return node
    if (JSON.stringify(node) === text) return ref
    if (Array.isArray(node)) return node.map(replace)
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, replace(value)]))
  }
  const hoisted = Object.fromEntries(
    Object.entries(schemas).map(([key, schema]) => [key, replace(schema) as JsonSchema]),
  )
  if (!JSON.stringify(hoisted).includes(`"${ref.$ref}"`)) {
    throw new Error(`No schema holds ${name}: hoistShared has nothing to share.`)
  }
  return { ...hoisted, [name]: { title: name, ...shared } }
}
