import { MessageSchema, RunAgentInputSchema } from '@ag-ui/core/schemas'
import type { $ZodType } from 'zod/v4/core'
import { agUiCatalog } from '../../src/ag-ui/catalog.js'
import { MAX_THREAD_ID_LENGTH } from '../../src/ag-ui/routes.js'
import type { JsonSchema } from './catalogs.js'
import {
  cancelAnswerSchema,
  cancelResponse,
  controlCodeSchema,
  cursorParameters,
  errorBodySchema,
  errorHeaders,
  errorResponse,
  errorResponses,
  eventComponents,
  eventsParameter,
  failures,
  gapSchema,
  hoistShared,
  pascalCase,
  referencedResponses,
  runIdSchema,
  SSE_HEADERS,
  SSE_PRELUDE,
  sseItemSchema,
  zodJsonSchema,
} from './openapi-common.js'

/** Where the document mounts the handler: the path docs/ag-ui.md uses. */
export const AG_UI_MOUNT = '/api/agent'

const EXAMPLE_INPUT = {
  threadId: 'thread-1',
  runId: 'run-1',
  messages: [{ id: 'u1', role: 'user', content: 'Hi' }],
  tools: [],
  context: [],
  state: {},
  forwardedProps: {},
}

const SSE_EXAMPLE = [
  ...SSE_PRELUDE,
  'id: 1',
  'event: RUN_STARTED',
  'data: {"type":"RUN_STARTED","threadId":"thread-1","runId":"run-1"}',
  '',
  'id: 2',
  'event: TEXT_MESSAGE_START',
  'data: {"type":"TEXT_MESSAGE_START","messageId":"a1","role":"assistant"}',
  '',
  'id: 3',
  'event: TEXT_MESSAGE_CONTENT',
  'data: {"type":"TEXT_MESSAGE_CONTENT","messageId":"a1","delta":"Hello"}',
  '',
  'id: 4',
  'event: TEXT_MESSAGE_END',
  'data: {"type":"TEXT_MESSAGE_END","messageId":"a1"}',
  '',
  'id: 5',
  'event: RUN_FINISHED',
  'data: {"type":"RUN_FINISHED","threadId":"thread-1","runId":"run-1"}',
  '',
  '',
].join('\n')

/**
 * The OpenAPI 3.1 document of `createAgUiHandler`'s routes, mounted at {@link AG_UI_MOUNT},
 * written to `docs/openapi-ag-ui.json`. A document of its own: the handler is mounted apart from
 * the execution routes, wherever the app wants, with its own catalog and options.
 */
export function agUiOpenApiDocument(version: string): JsonSchema {
  const paths: Record<string, JsonSchema> = {
    [AG_UI_MOUNT]: { post: startOperation() },
    [`${AG_UI_MOUNT}/runs/{runId}/stream`]: { get: streamOperation('run') },
    [`${AG_UI_MOUNT}/runs/{runId}/cancel`]: { post: cancelOperation('run') },
    [`${AG_UI_MOUNT}/threads/{threadId}/stream`]: { get: streamOperation('thread') },
    [`${AG_UI_MOUNT}/threads/{threadId}/cancel`]: { post: cancelOperation('thread') },
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'runstream AG-UI agent endpoints',
      version,
      summary: 'AG-UI agent runs that survive dropped connections: start, resume, cancel.',
      description: `The routes served by \`createAgUiHandler\` (runstream/ag-ui), mounted at \`${AG_UI_MOUNT}\` as in docs/ag-ui.md: the handler answers wherever the app mounts it (the run and thread routes are recognised by their ending), so replace the prefix with your own. Runs are stream \`agent:<runId>\`; the execution routes of docs/openapi.json serve them too. Each \`text/event-stream\` answer is AG-UI's own SSE, each \`data:\` one AG-UI event (\`AgUiEvent\`), with runstream's \`id:\` and \`event:\` lines; \`x-itemSchema\` gives one event in the shape of OpenAPI 3.2's \`itemSchema\`. A method other than the route's gets \`405 method_not_allowed\` with \`Allow\`. Authentication is whatever the \`authorize\` hook checks: it is asked about the run's stream, and on the thread routes first about \`agent-thread:<threadId>\`.`,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: [{ name: 'ag-ui', description: 'AG-UI agent runs (docs/ag-ui.md).' }],
    paths,
    components: {
      parameters: {
        RunId: {
          name: 'runId',
          in: 'path',
          required: true,
          description:
            'The run id: the `runId` of the `RunAgentInput` that started it when it is 1 to 128 letters, digits and `_ . : @ ~ + = -` (not starting with a dot, without `..`), else the fresh id of its `Location`.',
          schema: runIdSchema(),
          example: 'run-1',
        },
        ThreadId: {
          name: 'threadId',
          in: 'path',
          required: true,
          description: `The thread id of the \`RunAgentInput\`: 1 to ${MAX_THREAD_ID_LENGTH} characters, no control character.`,
          schema: {
            type: 'string',
            minLength: 1,
            maxLength: MAX_THREAD_ID_LENGTH,
            pattern: '^[^\\u0000-\\u001f\\u007f]*$',
          },
          example: 'thread-1',
        },
        Events: eventsParameter(
          'Only these AG-UI event types, comma-separated (the parameter may also repeat); others get a 400 `unknown_event`. `RUN_FINISHED` and `RUN_ERROR` are always sent. AG-UI clients need the whole run: a filtered stream is for other readers.',
          agUiCatalog.names,
        ),
        ...cursorParameters(),
      },
      headers: errorHeaders(),
      responses: referencedResponses(paths, {
        ...errorResponses(),
        BadBody: errorResponse(
          400,
          'The body is not JSON, or not a `RunAgentInput` (the message names the first members that fail); or the path has a dot segment or a backslash.',
          ['invalid_body', 'invalid_path'],
        ),
        BadRoute: errorResponse(
          400,
          'The path has a dot segment or a backslash, or its run or thread id is invalid.',
          ['invalid_path', 'invalid_stream_id'],
        ),
        RunExists: errorResponse(
          409,
          'A run with this `runId` exists already: AG-UI clients make a fresh one per run.',
          ['run_exists'],
        ),
      }),
      // `Message` once: the input, `RUN_STARTED`'s echo of it and `MESSAGES_SNAPSHOT` all hold it.
      schemas: hoistShared(
        {
          RunAgentInput: {
            title: 'RunAgentInput',
            description:
              "What an AG-UI client posts to start a run: `@ag-ui/core`'s `RunAgentInputSchema`, as the handler checks it.",
            ...zodJsonSchema(RunAgentInputSchema as unknown as $ZodType, 'input'),
          },
          ErrorBody: errorBodySchema(),
          ...eventComponents(agUiCatalog, eventName, {
            name: 'AgUiEvent',
            description:
              "One AG-UI event, as `@ag-ui/core`'s schemas check it: the `data:` of each event frame. A stream starts with `RUN_STARTED` and ends with one `RUN_FINISHED` or `RUN_ERROR`.",
          }),
          StreamFailure: {
            description:
              "The `data:` of a `runstream.error` or `runstream.gap` control event (no `id:`): an AG-UI `RUN_ERROR`, so `HttpAgent` ends the run with it, that also carries runstream's fields, from which `RunstreamAgent` resumes. `runstream.error` (`store_failed`, `subscriber_overflow`, `aborted`): the server closes the stream right after; reconnect with `Last-Event-ID`. `runstream.gap` (`cursor_expired`, with the gap's `reason`, `after`, `firstId`, `lastId`): events after the cursor are gone; the stream goes on from the oldest held.",
            allOf: [
              { $ref: '#/components/schemas/RunErrorEvent' },
              {
                type: 'object',
                properties: {
                  code: controlCodeSchema(),
                  ...(gapSchema().properties as JsonSchema),
                },
                required: ['code'],
              },
            ],
          },
          CancelAnswer: cancelAnswerSchema(),
        },
        'Message',
        zodJsonSchema(MessageSchema as unknown as $ZodType, 'output'),
      ),
    },
  }
}

function startOperation(): JsonSchema {
  return {
    operationId: 'startAgentRun',
    tags: ['ag-ui'],
    summary: 'Start an agent run and stream it (what `HttpAgent` posts)',
    description:
      "Reads the `RunAgentInput` (at most `maxBodyBytes`, 1 MiB by default), starts run `agent:<runId>`, points the thread at it, calls the agent's `run`, and answers with the run's events from its first. `Location` names the run's stream route: resume there with GET and `Last-Event-ID`, never by posting again. A client that disconnects does not cancel the run (unless `cancelOnDisconnect`). The agent throwing before its first event gets a 500.",
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: { $ref: '#/components/schemas/RunAgentInput' },
          example: EXAMPLE_INPUT,
        },
      },
    },
    responses: {
      '200': streamAnswer('The run’s events, from `RUN_STARTED` to its terminal event.', true),
      ...failures({
        '400': 'BadBody',
        '409': 'RunExists',
        '413': 'BodyTooLarge',
        '429': 'TooManyConnections',
      }),
    },
  }
}

function streamOperation(what: 'run' | 'thread'): JsonSchema {
  const run = what === 'run'
  return {
    operationId: run ? 'streamAgentRun' : 'streamAgentThread',
    tags: ['ag-ui'],
    summary: run
      ? 'Resume a run’s stream (stream `agent:<runId>`)'
      : 'Attach to the thread’s running run',
    description: run
      ? 'The run’s events after the cursor (`Last-Event-ID` or `lastEventId`), all of them without one, even once it finished; live events follow until the terminal event. What `RunstreamAgent` reconnects to.'
      : 'The thread’s running run from its first event (or after the cursor), with its `Location`: how a reloaded page re-attaches. 204 when the thread has no run, or its last run finished (and no cursor is sent).',
    parameters: [
      { $ref: `#/components/parameters/${run ? 'RunId' : 'ThreadId'}` },
      { $ref: '#/components/parameters/Events' },
      { $ref: '#/components/parameters/LastEventIdQuery' },
      { $ref: '#/components/parameters/LastEventIdHeader' },
    ],
    responses: {
      '200': streamAnswer('The run’s events after the cursor.', !run),
      '204': {
        description: run
          ? 'The cursor is at the end of a finished run: nothing will ever follow it.'
          : 'The thread has no running run: nothing to attach to.',
      },
      ...failures({ '400': 'BadRequest', '404': 'NotFound', '429': 'TooManyConnections' }),
    },
  }
}

function cancelOperation(what: 'run' | 'thread'): JsonSchema {
  const run = what === 'run'
  return {
    operationId: run ? 'cancelAgentRun' : 'cancelAgentThread',
    tags: ['ag-ui'],
    summary: run ? 'Cancel a run' : 'Cancel the thread’s running run',
    description:
      'Cancels the run wherever its agent runs (every process sharing the store is told; the `signal` given to `run` aborts); a run its agent does not end within the manager’s `cancelGraceMs` ends with `RUN_ERROR` (`code: cancelled`). Cancelling twice, or a finished run, is harmless. No body is read.',
    parameters: [{ $ref: `#/components/parameters/${run ? 'RunId' : 'ThreadId'}` }],
    responses: {
      '202': cancelResponse('The run was cancelled, or had finished.'),
      ...failures({ '400': 'BadRoute', '404': 'RunNotFound' }),
    },
  }
}

function streamAnswer(description: string, location: boolean): JsonSchema {
  return {
    description,
    headers: {
      ...(location
        ? {
            Location: {
              description: `The run's stream route, \`${AG_UI_MOUNT}/runs/<runId>/stream\`.`,
              schema: { type: 'string' },
            },
            'Content-Location': {
              description: 'The same as `Location`.',
              schema: { type: 'string' },
            },
          }
        : {}),
      ...SSE_HEADERS,
    },
    content: {
      'text/event-stream': {
        schema: {
          type: 'string',
          description:
            "AG-UI's SSE: `retry:` and `: ok`, the epoch frame (`id: <epoch>.<id>` alone), then per event `id: <id>`, `event: <type>` and `data: <AgUiEvent JSON>` (LF line endings, one `data:` line); heartbeats are comments (`: ping`). Control events `runstream.error` and `runstream.gap` carry no `id:` and a `StreamFailure` (a `RUN_ERROR`). The stream ends after `RUN_FINISHED` or `RUN_ERROR`.",
        },
        example: SSE_EXAMPLE,
        'x-itemSchema': sseItemSchema({
          oneOf: [
            { $ref: '#/components/schemas/AgUiEvent' },
            { $ref: '#/components/schemas/StreamFailure' },
          ],
        }),
      },
    },
  }
}

// `TEXT_MESSAGE_START` → `TextMessageStartEvent`, as `@ag-ui/core` names its schemas.
function eventName(event: string): string {
  return `${pascalCase(event.toLowerCase().split('_'))}Event`
}
