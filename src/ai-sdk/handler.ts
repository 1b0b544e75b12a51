import type { UIMessage } from 'ai'
import { safeParse } from 'zod/v4/core'
import type { StreamManager } from '../core/manager.js'
import { isRunId } from '../core/runs.js'
import { answeringHandler, type ProtocolHandler } from '../server/answering.js'
import { setUpProtocolHandler } from '../server/handler-setup.js'
import { refusal } from '../server/http-errors.js'
import type { IncomingRequest } from '../server/incoming.js'
import { readJson } from '../server/json-body.js'
import { checkManager, checkRunStore } from '../server/manager-check.js'
import type { ConnectionLimitOptions, RunRequestOptions, SseOptions } from '../server/options.js'
import { type EventSource, isEventSource } from '../server/produce.js'
import { hasDotSegmentOrBackslash } from '../server/routes.js'
import { answerRunCancel } from '../server/run-cancel.js'
import type { Answer } from '../server/stream-answer.js'
import type { UiMessageCatalog } from './catalog.js'
import { produceChatRun, type UiMessageChunkLike } from './producer.js'
import { chatRequestSchema, matchChatRoute } from './routes.js'

/**
 * The body `useChat` posts (the AI SDK's `DefaultChatTransport` and `ResumableChatTransport`):
 * the chat's id, its messages, what triggered the request, plus the app's own members.
 */
export interface ChatRequest<UI_MESSAGE extends UIMessage = UIMessage> {
  /** The chat's id. */
  readonly id: string
  /** The chat's messages, the new one last. */
  readonly messages: UI_MESSAGE[]
  /** `submit-message`, or `regenerate-message` for a regeneration. */
  readonly trigger?: 'submit-message' | 'regenerate-message'
  /** The message to regenerate, for `regenerate-message`. */
  readonly messageId?: string
  /** The app's own members (`body` of the transport or of `sendMessage`). */
  readonly [member: string]: unknown
}

/** What a chat run is given besides the request. */
export interface ChatRunContext {
  /**
   * Aborts when the run is cancelled, from any process sharing the store (the stop button, the
   * cancel route), or when the manager closes. Pass it to `streamText({ abortSignal })`.
   */
  readonly signal: AbortSignal
  /** The run's id: its stream is `chat:<id>`. */
  readonly id: string
  /** The request that started the run (its headers tell the user). */
  readonly request: Request
}

/**
 * What a chat run returns: what `streamText(…)` gives (its `toUIMessageStream()` is called), its
 * `toUIMessageStream()` itself (a `ReadableStream` of chunks), or any async iterable or
 * Observable of UI message chunks.
 */
export type ChatRunResult =
  | EventSource<UiMessageChunkLike>
  | { toUIMessageStream(): ReadableStream<UiMessageChunkLike> | AsyncIterable<UiMessageChunkLike> }

/** The chat's model call: from the request `useChat` posted, the reply's chunks. */
export type ChatRun<UI_MESSAGE extends UIMessage = UIMessage> = (
  request: ChatRequest<UI_MESSAGE>,
  context: ChatRunContext,
) => ChatRunResult | Promise<ChatRunResult>

/** Options of {@link createChatHandler}. */
export interface ChatHandlerOptions<UI_MESSAGE extends UIMessage = UIMessage>
  extends Omit<SseOptions, 'framing' | 'protocol'>,
    ConnectionLimitOptions,
    RunRequestOptions {
  /**
   * The chat's model call, once per message: `(request, { signal }) => streamText({ …,
   * abortSignal: signal })` fits. runstream stores and streams the reply; the run goes on when
   * the page closes. The reply ends with exactly one `finish` or `abort`: runstream adds `finish`
   * when the chunks end without one, and an `error` chunk ("An error occurred.", the error going
   * to `onError`) with `finish` when they fail. A throw before the first chunk gets a 500.
   */
  run: ChatRun<UI_MESSAGE>
  /**
   * The chat route, as the transports' `api`: messages are `POST`ed here, and a chat's stream
   * is `GET {api}/{chatId}/stream`, the AI SDK's resume route.
   * @defaultValue `'/api/chat'`
   */
  api?: string
}

/**
 * Creates the Fetch handler of a chat whose replies survive dropped connections, closed tabs and
 * restarted servers, on the AI SDK's own routes, for `useChat` with its `DefaultChatTransport` or
 * with `ResumableChatTransport`.
 *
 * | request | answer |
 * | --- | --- |
 * | `POST {api}` (the chat: `{ id, messages, … }`) | starts a run (`manager.startRun('chat')`), marks it the chat's active run, streams its chunks; `Location: {api}/{chatId}/stream?runId={runId}` |
 * | `GET {api}/{chatId}/stream` | the chat's running reply from its start (after `Last-Event-ID`), or 204 when it has none: `reconnectToStream` then gets `null` |
 * | `GET {api}/{chatId}/stream?runId={runId}` | that reply after `Last-Event-ID`, finished or not; 204 at its end |
 * | `POST {api}/{chatId}/cancel` | cancels the chat's running reply (202), from any process |
 *
 * `authorize` is asked about the run's stream (`chat:<runId>`) and, on the routes that name only
 * the chat, first about the chat's pointer stream (`chat-run:<chatId>`), before anything is looked
 * up: a caller who may not see a chat cannot learn whether it has a reply running.
 *
 * The stream is the AI SDK's: each `data:` is a UI message chunk, with runstream's `id:` and
 * `event:` lines, `x-vercel-ai-ui-message-stream: v1`, and `data: [DONE]` after the terminal
 * chunk. A drop, a server shutting down or chunks the store no longer holds come as an `error`
 * chunk under `event: runstream.error` / `runstream.gap` (see `SseOptions.protocol`), which
 * `ResumableChatTransport` resumes after. A path outside the routes gets a 404 (Node: `next()`).
 *
 * `DefaultChatTransport`'s stop only closes its connection, which never cancels a run unless
 * `cancelOnDisconnect` is set (a dropped network would then cancel too);
 * `ResumableChatTransport`'s stop calls the cancel route.
 *
 * The manager must use `uiMessageCatalog` (or `defineUiMessageCatalog`'s) and a store with runs.
 * Every option is checked here: a wrong value throws a `TypeError` that says the fix.
 *
 * @example
 * ```ts
 * const manager = createStreamManager({ catalog: uiMessageCatalog })
 * const chat = createChatHandler(manager, {
 *   run: ({ messages }, { signal }) =>
 *     streamText({ model, messages: convertToModelMessages(messages), abortSignal: signal }),
 * })
 * app.use(toNodeHandler(chat)) // Express; a Fetch runtime: chat(request)
 * ```
 * @see docs/ai-sdk.md
 */
export function createChatHandler<UI_MESSAGE extends UIMessage = UIMessage>(
  // biome-ignore lint/suspicious/noExplicitAny: any data parts
  manager: StreamManager<UiMessageCatalog<any>>,
  options: ChatHandlerOptions<UI_MESSAGE>,
): ProtocolHandler {
  const where = 'createChatHandler'
  checkManager(where, manager)
  checkRunStore(where, manager as StreamManager)
  if (!manager.catalog.has('text-delta') || !manager.catalog.isTerminal('finish')) {
    throw new TypeError(
      `${where}: the manager must use uiMessageCatalog or defineUiMessageCatalog(…) (createStreamManager({ catalog: uiMessageCatalog })), whose events are the AI SDK's chunks.`,
    )
  }
  if (typeof options !== 'object' || options === null || typeof options.run !== 'function') {
    throw new TypeError(
      `${where}: pass { run }, the model call: (request, { signal }) => streamText({ …, abortSignal: signal }).`,
    )
  }
  const { run, api: apiOption, ...rest } = options
  const api = checkApi(where, apiOption ?? '/api/chat')
  const {
    resolved,
    pipeline,
    conversations: chats,
    routes,
  } = setUpProtocolHandler(where, manager, { ...rest, protocol: 'ai-sdk' }, 'chat-run')
  return answeringHandler(pipeline, resolved, async (incoming) => {
    const route = matchChatRoute(incoming.url.pathname, api)
    if (route.kind === 'none') return { kind: 'no-route', refusal: routes.notFound(incoming) }
    return routes.guard(incoming, () => answer(incoming, route))
  })

  async function answer(
    incoming: IncomingRequest,
    route: Exclude<ReturnType<typeof matchChatRoute>, { kind: 'none' }>,
  ): Promise<Answer> {
    if (route.kind === 'invalid') {
      return routes.refuse(
        incoming,
        refusal(
          400,
          'invalid_stream_id',
          'Invalid chat id: use 1 to 256 characters without control characters.',
        ),
      )
    }
    const wrong = routes.checkMethod(incoming, route.kind === 'stream' ? 'GET' : 'POST')
    if (wrong !== undefined) return wrong
    switch (route.kind) {
      case 'start':
        return start(incoming)
      case 'cancel': {
        const denied = await routes.authorizeConversation(
          incoming,
          chats.pointer(route.chatId),
          'cancel',
        )
        if (denied !== undefined) return denied
        const stream = await chats.get(route.chatId)
        return stream === undefined
          ? routes.refuse(
              incoming,
              refusal(404, 'run_not_found', `Chat "${route.chatId.slice(0, 64)}" has no reply.`),
            )
          : answerRunCancel(manager, resolved, incoming, stream)
      }
      case 'stream': {
        const runId = incoming.url.searchParams.get('runId')
        if (runId !== null) {
          if (!isRunId(runId)) {
            return routes.refuse(incoming, refusal(400, 'invalid_stream_id', 'Invalid runId.'))
          }
          return pipeline.serve(incoming, `chat:${runId}`)
        }
        const denied = await routes.authorizeConversation(
          incoming,
          chats.pointer(route.chatId),
          'watch',
        )
        if (denied !== undefined) return denied
        const stream = await chats.get(route.chatId)
        const location =
          stream === undefined ? undefined : streamPath(route.chatId, stream.slice('chat:'.length))
        return routes.active(incoming, stream, location)
      }
    }
  }

  function streamPath(chatId: string, runId: string): string {
    return `${api}/${encodeURIComponent(chatId)}/stream?runId=${encodeURIComponent(runId)}`
  }

  async function start(incoming: IncomingRequest): Promise<Answer> {
    const body = await readJson(incoming, resolved.runs.maxBodyBytes)
    if ('gone' in body) return { kind: 'gone' }
    if ('status' in body) return routes.refuse(incoming, body)
    if (!safeParse(chatRequestSchema, body.value).success) {
      return routes.refuse(
        incoming,
        refusal(
          400,
          'invalid_body',
          'The body is not a chat request: send { id, messages } as useChat does (id: 1 to 256 characters).',
        ),
      )
    }
    // The value itself, not the parse's copy: `run` gets the members as they were posted.
    const request = body.value as ChatRequest<UI_MESSAGE>
    return pipeline.startRun(incoming, {
      kind: 'chat',
      id: undefined,
      location: (started) => streamPath(request.id, started.id),
      input: { value: request },
      async start(started) {
        // The pointer first: a page reloaded once the first chunk is out finds the reply.
        await chats.set(request.id, started.name)
        const result = await run(request, {
          signal: started.signal,
          id: started.id,
          request: started.request,
        })
        const source = chunksOf(result)
        if (source === undefined) {
          throw new TypeError(
            `${where}: run must return streamText(…)'s result, a ReadableStream or an async iterable of UI message chunks; it returned ${typeof result}.`,
          )
        }
        return produceChatRun(
          { stream: started.stream as never, signal: started.signal, catalog: manager.catalog },
          source,
          resolved.onError,
        )
      },
    })
  }
}

/** The chunks of what a run returned: `streamText`'s result gives its `toUIMessageStream()`. */
function chunksOf(result: unknown): EventSource<UiMessageChunkLike> | undefined {
  const toStream = (result as { toUIMessageStream?: unknown } | null)?.toUIMessageStream
  const source: unknown = typeof toStream === 'function' ? toStream.call(result) : result
  return isEventSource(source) ? (source as EventSource<UiMessageChunkLike>) : undefined
}

/** The chat route, checked and without a trailing slash. */
function checkApi(where: string, api: unknown): string {
  const path = typeof api === 'string' ? api.replace(/\/+$/, '') : ''
  if (!path.startsWith('/') || /[?#\s]/.test(path) || hasDotSegmentOrBackslash(path)) {
    throw new TypeError(
      `${where}: \`api\` must be the chat route's path, such as '/api/chat' (the transports' \`api\`): starting with "/", not "/" alone, without a query, dot segments or backslashes. Got ${JSON.stringify(api)}.`,
    )
  }
  return path
}
