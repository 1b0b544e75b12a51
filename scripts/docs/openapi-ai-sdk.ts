import type { $ZodType } from 'zod/v4/core'
import { uiMessageCatalog } from '../../src/ai-sdk/catalog.js'
import { chatIdSchema, chatRequestSchema } from '../../src/ai-sdk/routes.js'
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
  pascalCase,
  referencedResponses,
  runIdSchema,
  SSE_HEADERS,
  SSE_PRELUDE,
  sseItemSchema,
  zodJsonSchema,
} from './openapi-common.js'

/** The chat route the document uses: `createChatHandler`'s default `api`. */
export const CHAT_API = '/api/chat'

const EXAMPLE_REQUEST = {
  id: 'chat-1',
  messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'Hi' }] }],
  trigger: 'submit-message',
}

const SSE_EXAMPLE = [
  ...SSE_PRELUDE,
  'id: 1',
  'event: start',
  'data: {"type":"start"}',
  '',
  'id: 2',
  'event: text-start',
  'data: {"type":"text-start","id":"t1"}',
  '',
  'id: 3',
  'event: text-delta',
  'data: {"type":"text-delta","id":"t1","delta":"Hello"}',
  '',
  'id: 4',
  'event: text-end',
  'data: {"type":"text-end","id":"t1"}',
  '',
  'id: 5',
  'event: finish',
  'data: {"type":"finish","finishReason":"stop"}',
  '',
  'data: [DONE]',
  '',
  '',
].join('\n')

/**
 * The OpenAPI 3.1 document of `createChatHandler`'s routes with the default `api`, written to
 * `docs/openapi-ai-sdk.json`. A document of its own: the handler is mounted apart from the
 * execution routes, under its own `api`, with its own catalog and options.
 */
export function aiSdkOpenApiDocument(version: string): JsonSchema {
  const paths: Record<string, JsonSchema> = {
    [CHAT_API]: { post: startOperation() },
    [`${CHAT_API}/{chatId}/stream`]: { get: streamOperation() },
    [`${CHAT_API}/{chatId}/cancel`]: { post: cancelOperation() },
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'runstream AI SDK chat endpoints',
      version,
      summary: 'AI SDK chat replies that survive dropped connections: send, resume, stop.',
      description: `The routes served by \`createChatHandler\` (runstream/ai-sdk) with the default \`api\` \`${CHAT_API}\` (the AI SDK transports' default; the option moves every route). Replies are stream \`chat:<runId>\`. Each \`text/event-stream\` answer is the AI SDK's UI message stream (\`x-vercel-ai-ui-message-stream: v1\`): each \`data:\` one UI message chunk (\`UiMessageChunk\`), with runstream's \`id:\` and \`event:\` lines, and \`data: [DONE]\` after the terminal chunk; \`x-itemSchema\` gives one event in the shape of OpenAPI 3.2's \`itemSchema\`. The chunks listed are \`uiMessageCatalog\`'s: a catalog of \`defineUiMessageCatalog({ data })\` adds your \`data-<name>\` chunks. Another method gets \`405 method_not_allowed\` with \`Allow\`, and a path outside the routes a 404 (Node: \`next()\`). Authentication is whatever the \`authorize\` hook checks: it is asked about the reply's stream, and on the routes that name only the chat first about \`chat-run:<chatId>\`.`,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: [{ name: 'ai-sdk', description: 'AI SDK chat replies (docs/ai-sdk.md).' }],
    paths,
    components: {
      parameters: {
        ChatId: {
          name: 'chatId',
          in: 'path',
          required: true,
          description: "The chat's id, the `id` of its requests.",
          schema: zodJsonSchema(chatIdSchema as $ZodType, 'input'),
          example: 'chat-1',
        },
        RunId: {
          name: 'runId',
          in: 'query',
          required: false,
          description:
            "One reply, as the POST's `Location` names it: that reply after the cursor, finished or not, rather than the chat's running reply.",
          schema: runIdSchema(),
        },
        Events: eventsParameter(
          "Only these chunk types, comma-separated (the parameter may also repeat); others get a 400 `unknown_event`. `finish` and `abort` are always sent. The AI SDK's clients need the whole reply: a filtered stream is for other readers.",
        ),
        ...cursorParameters(),
      },
      headers: errorHeaders(),
      responses: referencedResponses(paths, {
        ...errorResponses(),
        BadBody: errorResponse(
          400,
          'The body is not JSON, or not a chat request (`id` and `messages`); or the path has a dot segment or a backslash.',
          ['invalid_body', 'invalid_path'],
        ),
        BadRoute: errorResponse(
          400,
          'The path has a dot segment or a backslash, or its chat id is invalid.',
          ['invalid_path', 'invalid_stream_id'],
        ),
      }),
      schemas: {
        ChatRequest: {
          title: 'ChatRequest',
          description:
            "The body `useChat` posts (`DefaultChatTransport`, `ResumableChatTransport`): the chat's `id` and its `messages` (the AI SDK's `UIMessage`s, the new one last), which the handler checks, and members it gives `run` as they are: `trigger` (`submit-message` or `regenerate-message`), `messageId` (the message to regenerate) and the transport's `body`.",
          ...zodJsonSchema(chatRequestSchema as $ZodType, 'input'),
        },
        ErrorBody: errorBodySchema(),
        ...eventComponents(uiMessageCatalog, chunkName, {
          name: 'UiMessageChunk',
          description:
            'One UI message chunk of `ai` 6 and 7: the `data:` of each event frame. A reply ends with one `finish` or `abort`; `error` does not end it.',
        }),
        StreamFailure: {
          description:
            "The `data:` of a `runstream.error` or `runstream.gap` control event (no `id:`): an AI SDK `error` chunk, so `DefaultChatTransport` shows it, that also carries runstream's fields, from which `ResumableChatTransport` resumes. `runstream.error` (`store_failed`, `subscriber_overflow`, `aborted`): the server closes the stream right after; reconnect with `Last-Event-ID`. `runstream.gap` (`cursor_expired`, with the gap's `reason`, `after`, `firstId`, `lastId`): chunks after the cursor are gone; the stream goes on from the oldest held. No `[DONE]` follows a cut stream.",
          allOf: [
            { $ref: '#/components/schemas/ErrorChunk' },
            {
              type: 'object',
              properties: {
                code: controlCodeSchema(),
                message: { type: 'string', description: 'The same as `errorText`.' },
                ...(gapSchema().properties as JsonSchema),
              },
              required: ['code', 'message'],
            },
          ],
        },
        CancelAnswer: cancelAnswerSchema(),
      },
    },
  }
}

function startOperation(): JsonSchema {
  return {
    operationId: 'sendChatMessage',
    tags: ['ai-sdk'],
    summary: 'Send the chat and stream the reply (what `useChat` posts)',
    description:
      "Reads the chat request (at most `maxBodyBytes`, 1 MiB by default), starts a reply `chat:<runId>` with a fresh id, makes it the chat's running reply, calls `run`, and streams the reply's chunks from the first. `Location` names the reply: resume there with GET and `Last-Event-ID`, never by posting again, which would run the model again. A client that disconnects does not cancel the reply (unless `cancelOnDisconnect`). `run` throwing before the first chunk gets a 500.",
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: { $ref: '#/components/schemas/ChatRequest' },
          example: EXAMPLE_REQUEST,
        },
      },
    },
    responses: {
      '200': streamAnswer('The reply’s chunks, from `start` to `finish` or `abort`.'),
      ...failures({ '400': 'BadBody', '413': 'BodyTooLarge', '429': 'TooManyConnections' }),
    },
  }
}

function streamOperation(): JsonSchema {
  return {
    operationId: 'streamChatReply',
    tags: ['ai-sdk'],
    summary: 'Resume the chat’s reply (the AI SDK’s resume route)',
    description:
      "Without `runId`: the chat's running reply from its first chunk (after `Last-Event-ID` when sent), with its `Location`; 204 when the chat has none or its last reply finished, so `reconnectToStream` returns `null`. With `runId`: that reply after the cursor (all of it without one), finished or not; 204 at its end.",
    parameters: [
      { $ref: '#/components/parameters/ChatId' },
      { $ref: '#/components/parameters/RunId' },
      { $ref: '#/components/parameters/Events' },
      { $ref: '#/components/parameters/LastEventIdQuery' },
      { $ref: '#/components/parameters/LastEventIdHeader' },
    ],
    responses: {
      '200': streamAnswer('The reply’s chunks after the cursor.'),
      '204': {
        description:
          'Nothing to follow: the chat has no running reply, or the cursor is at the end of a finished one.',
      },
      ...failures({ '400': 'BadRequest', '404': 'NotFound', '429': 'TooManyConnections' }),
    },
  }
}

function cancelOperation(): JsonSchema {
  return {
    operationId: 'stopChatReply',
    tags: ['ai-sdk'],
    summary: 'Stop the chat’s reply (what `ResumableChatTransport`’s stop calls)',
    description:
      "Cancels the chat's reply wherever its model call runs (every process sharing the store is told; the `signal` given to `run` aborts, and `streamText` sends `abort`); a reply whose producer does not end within the manager's `cancelGraceMs` ends with `abort`. Cancelling twice, or a finished reply, is harmless. No body is read.",
    parameters: [{ $ref: '#/components/parameters/ChatId' }],
    responses: {
      '202': cancelResponse('The reply was cancelled, or had finished.'),
      ...failures({ '400': 'BadRoute', '404': 'RunNotFound' }),
    },
  }
}

function streamAnswer(description: string): JsonSchema {
  return {
    description,
    headers: {
      Location: {
        description: `The reply's route, \`${CHAT_API}/<chatId>/stream?runId=<runId>\` (not sent with \`runId\`).`,
        schema: { type: 'string' },
      },
      'Content-Location': { description: 'The same as `Location`.', schema: { type: 'string' } },
      ...SSE_HEADERS,
      'x-vercel-ai-ui-message-stream': {
        description: "The AI SDK's stream protocol version.",
        schema: { type: 'string', const: 'v1' },
      },
    },
    content: {
      'text/event-stream': {
        schema: {
          type: 'string',
          description:
            'The UI message stream: `retry:` and `: ok`, the epoch frame (`id: <epoch>.<id>` alone), then per chunk `id: <id>`, `event: <type>` and `data: <UiMessageChunk JSON>`, and `data: [DONE]` after the terminal chunk; heartbeats are comments (`: ping`). Control events `runstream.error` and `runstream.gap` carry no `id:` and a `StreamFailure` (an `error` chunk).',
        },
        example: SSE_EXAMPLE,
        'x-itemSchema': sseItemSchema(
          {
            oneOf: [
              { $ref: '#/components/schemas/UiMessageChunk' },
              { $ref: '#/components/schemas/StreamFailure' },
            ],
          },
          [{ type: 'string', const: '[DONE]', description: 'After the terminal chunk.' }],
        ),
      },
    },
  }
}

// `text-delta` → `TextDeltaChunk`.
function chunkName(chunk: string): string {
  return `${pascalCase(chunk.split('-'))}Chunk`
}
