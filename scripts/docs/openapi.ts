import { allEvents, envelopeSchema, type JsonSchema, payloadSchema } from './catalogs.js'
import {
  cancelAnswerSchema,
  cancelResponse,
  cursorParameters,
  errorBodySchema,
  errorHeaders,
  errorResponses,
  failures,
  gapSchema,
  pascalCase,
  referencedResponses,
  runIdSchema,
  SSE_HEADERS,
  SSE_PRELUDE,
} from './openapi-common.js'

const KINDS = [
  { plural: 'workflows', kind: 'workflow', text: false },
  { plural: 'agents', kind: 'agent', text: true },
  { plural: 'tasks', kind: 'task', text: true },
] as const

const SSE_EXAMPLE = [
  ...SSE_PRELUDE,
  'id: 1',
  'event: llm_chunk',
  'data: {"text":"Hel"}',
  '',
  ': ping',
  '',
  'id: 2',
  'event: complete',
  'data: {"status":"SUCCESS"}',
  '',
  '',
].join('\n')

/**
 * The OpenAPI 3.1 document of the SSE handlers' stream routes (`createFetchHandler`,
 * `createNodeHandler`) with the default `basePath`, written to `docs/openapi.json`.
 */
export function openApiDocument(version: string): JsonSchema {
  const schemas: Record<string, JsonSchema> = {
    Envelope: envelopeSchema((event) => `#/components/schemas/${componentName(event)}`),
    ErrorBody: errorBodySchema(),
    GapControl: gapSchema(),
    ErrorControl: {
      type: 'object',
      description:
        'The data of a `runstream.error` control event: the server failed mid-stream and closes the connection right after. Reconnect with Last-Event-ID.',
      properties: {
        code: { type: 'string', examples: ['store_failed', 'subscriber_overflow', 'aborted'] },
        message: { type: 'string' },
      },
      required: ['code', 'message'],
    },
  }
  for (const { event, owner } of allEvents()) {
    schemas[componentName(event)] = { title: event, ...payloadSchema(owner.catalog, event) }
  }
  const paths: Record<string, JsonSchema> = {}
  for (const route of KINDS) {
    paths[`/api/v0/executions/${route.plural}/{id}/stream`] = { get: operation(route) }
  }
  paths['/api/v0/streams'] = { get: manyOperation('get'), post: manyOperation('post') }
  for (const route of KINDS) {
    paths[`/api/v0/executions/${route.plural}`] = { post: startOperation(route) }
    paths[`/api/v0/executions/${route.plural}/{id}/cancel`] = { post: cancelOperation(route) }
  }
  schemas.CancelAnswer = cancelAnswerSchema()
  return {
    openapi: '3.1.0',
    info: {
      title: 'runstream stream endpoints',
      version,
      summary: 'Server-sent event streams of workflow, agent and task executions.',
      description:
        'The routes served by `createFetchHandler` (runstream/server) and `createNodeHandler` (runstream/node) with the default `basePath` `/api/v0`. Each answers a server-sent event stream that replays the events held after the cursor, then sends live events, and ends after the terminal event (`complete` or `error`). The wire format is normative in docs/wire-format.md. Authentication is whatever the `authorize` hook checks. The AG-UI and AI SDK handlers, mounted apart, have documents of their own: docs/openapi-ag-ui.json and docs/openapi-ai-sdk.json.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: [
      { name: 'streams', description: 'Live event streams of executions.' },
      {
        name: 'runs',
        description:
          'Runs started and cancelled over HTTP: served when the handler has a `start` (or `cancelRoute: true`). See docs/runs.md.',
      },
    ],
    paths,
    components: {
      parameters: parameters(),
      headers: errorHeaders(),
      responses: referencedResponses(paths, errorResponses()),
      schemas,
    },
  }
}

function operation(route: (typeof KINDS)[number]): JsonSchema {
  const content: Record<string, JsonSchema> = {
    'text/event-stream': {
      schema: {
        type: 'string',
        description:
          "An SSE stream. It opens with `retry: <ms>` and a `: ok` comment; each event is `id: <id>`, `event: <type>`, then its payload in `data:` (the JSON of the event's payload schema, or a string payload as raw text over one `data:` line per line) with the handler's default `framing: 'payload'`, or `data: <Envelope JSON>` (see the Envelope schema) with `framing: 'envelope'`; heartbeats are comments (`: ping`); control events `runstream.gap` (data: GapControl) and `runstream.error` (data: ErrorControl) carry no `id:`. The stream ends after the terminal event.",
      },
      example: SSE_EXAMPLE,
    },
  }
  if (route.text) {
    content['text/plain'] = {
      schema: {
        type: 'string',
        description:
          'With `format=text`: the concatenated `text` of the `llm_chunk` events, sent as it streams. No resume.',
      },
      example: 'Server-sent events carry each step…',
    }
  }
  const params: JsonSchema[] = [
    { $ref: '#/components/parameters/ExecutionId' },
    { $ref: '#/components/parameters/Events' },
    { $ref: '#/components/parameters/LastEventIdQuery' },
    { $ref: '#/components/parameters/LastEventIdHeader' },
    {
      $ref: route.text
        ? '#/components/parameters/Format'
        : '#/components/parameters/WorkflowFormat',
    },
  ]
  return {
    operationId: `stream${pascalCase([route.kind])}`,
    tags: ['streams'],
    summary: `Watch a ${route.kind} execution (stream \`${route.kind}:<id>\`)`,
    description: `Replays the events of stream \`${route.kind}:<id>\` held after the cursor (\`Last-Event-ID\` or \`lastEventId\`; all held events without one), then sends live events until the terminal event. A stream with no event yet waits for its first. A cursor older than what the store holds gets a \`runstream.gap\` control event and the oldest held events.`,
    parameters: params,
    responses: {
      '200': {
        description: 'The event stream.',
        headers: SSE_HEADERS,
        content,
      },
      '204': {
        description:
          'The cursor is at the end of a finished stream: nothing will ever follow it. Clients stop reconnecting.',
      },
      ...failures({ '400': 'BadRequest', '404': 'NotFound', '429': 'TooManyConnections' }),
    },
  }
}

function manyOperation(method: 'get' | 'post'): JsonSchema {
  const cursor: JsonSchema = {
    name: 'Last-Event-ID',
    in: 'header',
    required: false,
    description:
      'The composite cursor: one position per listed stream, in the order of the list, comma-separated; a position is empty (from the start), a cursor (`42` or `<epoch>.42`), or `~` (finished, not read again). Each event frame sends the composite after it as its `id:`, so `EventSource` sends it back. A wrong count of positions is a 400 `invalid_cursor`.',
    schema: { type: 'string' },
    example: '12,,lz3kq9a1x0.7,~',
  }
  const parameters: JsonSchema[] =
    method === 'get'
      ? [
          {
            name: 'stream',
            in: 'query',
            required: true,
            description:
              "The streams to follow, as their envelopes name them (`workflow:<id>`, `agent:<id>`, `task:<id>`): the parameter repeats, or holds several names separated by commas. 1 to the handler's `maxStreamsPerConnection` (32 by default) distinct names; more is a 400 `too_many_streams`.",
            style: 'form',
            explode: true,
            schema: { type: 'array', minItems: 1, items: { type: 'string' } },
            example: ['task:t1', 'task:t2'],
          },
          { $ref: '#/components/parameters/Events' },
          cursor,
        ]
      : [{ $ref: '#/components/parameters/Events' }, cursor]
  const operation: JsonSchema = {
    operationId: method === 'get' ? 'streamMany' : 'streamManyPost',
    tags: ['streams'],
    summary:
      method === 'get'
        ? 'Watch several streams on one connection'
        : 'Watch several streams on one connection, the list in a JSON body',
    description:
      'One server-sent event stream for every listed stream: each is replayed after its own position, then followed live. Every event frame is the envelope (its `stream` says which stream), with the composite cursor after it as `id:`. A stream ends at its terminal event; the response ends once every stream has. `authorize` is asked for every stream; one refusal refuses the request.',
    parameters,
    responses: {
      '200': {
        description: 'The event stream of every listed stream.',
        content: {
          'text/event-stream': {
            schema: {
              type: 'string',
              description:
                'An SSE stream: `retry:` and `: ok`, then per stream an `id:`-only epoch frame (the composite with that stream qualified by its epoch) and its events as `id: <composite>`, `event: <type>`, `data: <Envelope JSON>`; `runstream.gap` carries a `stream` member.',
            },
          },
        },
      },
      '204': { description: 'Every position is finished: nothing will ever follow.' },
      ...failures({ '400': 'BadRequest', '404': 'NotFound', '429': 'TooManyConnections' }),
    },
  }
  if (method === 'post') {
    operation.requestBody = {
      required: true,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: {
              streams: { type: 'array', minItems: 1, items: { type: 'string' } },
              lastEventId: {
                type: 'string',
                description: 'The composite cursor, when no `Last-Event-ID` header is sent.',
              },
            },
            required: ['streams'],
          },
          example: { streams: ['task:t1', 'task:t2'] },
        },
      },
    }
  }
  return operation
}

function startOperation(route: (typeof KINDS)[number]): JsonSchema {
  const kind = pascalCase([route.kind])
  return {
    operationId: `start${kind}`,
    tags: ['runs'],
    summary: `Start a ${route.kind} run and stream it (stream \`${route.kind}:<id>\`)`,
    description: `Served when the handler has a \`start\` option. Reads the JSON body (at most \`maxBodyBytes\`, 1 MiB by default), starts a run with a fresh id, calls \`start\` with it and the body, and answers with the run's event stream from its first event. \`Location\` and \`Content-Location\` name the run's stream route: resume there with GET and \`Last-Event-ID\`, never by sending the body again. A client that disconnects does not cancel the run (unless \`cancelOnDisconnect\`).`,
    requestBody: {
      required: true,
      description: 'Any JSON value: the run’s input, given to `start`.',
      content: { 'application/json': { schema: {} } },
    },
    responses: {
      '200': {
        description: 'The new run’s event stream, as on its stream route.',
        headers: {
          Location: {
            description: `The run's stream route, \`/api/v0/executions/${route.plural}/<id>/stream\`.`,
            schema: { type: 'string' },
          },
          'Content-Location': {
            description: 'The same as `Location`.',
            schema: { type: 'string' },
          },
          'Cache-Control': { schema: { type: 'string', const: 'no-cache, no-transform' } },
        },
        content: {
          'text/event-stream': {
            schema: { type: 'string', description: 'An SSE stream, as on the stream route.' },
            example: SSE_EXAMPLE,
          },
        },
      },
      ...failures({ '400': 'BadBody', '413': 'BodyTooLarge', '429': 'TooManyConnections' }),
    },
  }
}

function cancelOperation(route: (typeof KINDS)[number]): JsonSchema {
  const kind = pascalCase([route.kind])
  return {
    operationId: `cancel${kind}`,
    tags: ['runs'],
    summary: `Cancel a ${route.kind} run (stream \`${route.kind}:<id>\`)`,
    description:
      'Served when the handler has a `start` option or `cancelRoute: true`. Cancels the run wherever its producer runs (every process sharing the store is told; the producer’s signal aborts), and, if the producer has not ended its stream within the manager’s `cancelGraceMs`, ends it with the catalog’s cancellation event (`error` with status `CANCELED`). Cancelling twice, or a finished run, is harmless. No body is read.',
    parameters: [{ $ref: '#/components/parameters/ExecutionId' }],
    responses: {
      '202': cancelResponse('The run was cancelled, or had finished.'),
      ...failures({ '400': 'BadRequest', '404': 'RunNotFound' }),
    },
  }
}

function parameters(): Record<string, JsonSchema> {
  return {
    ExecutionId: {
      name: 'id',
      in: 'path',
      required: true,
      description:
        'The execution id: 1 to 128 letters, digits and `_ . : @ ~ + = -`, not starting with a dot and without `..`.',
      schema: runIdSchema(),
      example: 'exec_42',
    },
    Events: {
      name: 'events',
      in: 'query',
      required: false,
      description:
        "Only these event types, comma-separated (the parameter may also repeat). Names outside the server's catalog get a 400 `unknown_event`. Terminal events are always sent. Not allowed with `format=text`.",
      style: 'form',
      explode: false,
      schema: { type: 'array', minItems: 1, items: { type: 'string' } },
      example: ['llm_chunk', 'complete', 'error'],
    },
    ...cursorParameters(),
    Format: {
      name: 'format',
      in: 'query',
      required: false,
      description:
        '`text` answers `text/plain`: the concatenated `llm_chunk` text, with no resume.',
      schema: { type: 'string', enum: ['sse', 'text'], default: 'sse' },
    },
    WorkflowFormat: {
      name: 'format',
      in: 'query',
      required: false,
      description:
        'Only `sse`: a workflow interleaves several agents, so `format=text` gets a 400 `invalid_request`.',
      schema: { type: 'string', enum: ['sse'], default: 'sse' },
    },
  }
}

// `llm_chunk` → `LlmChunk`: component names in the style of the rest of the document.
function componentName(event: string): string {
  return pascalCase(event.split('_'))
}
