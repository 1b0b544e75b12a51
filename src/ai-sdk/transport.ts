import type { ChatRequestOptions, ChatTransport, UIMessage, UIMessageChunk } from 'ai'
import { canceled } from '../client/canceled.js'
import { connect, type StreamSubscription } from '../client/connect.js'
import type { ClientEvent } from '../client/events.js'
import type { HeadersOption } from '../client/http.js'
import type { ErrorInfo, FetchLike, ReconnectInfo } from '../client/options.js'
import type { ReconnectPolicy } from '../client/policy.js'
import type { RunstreamError } from '../core/errors.js'

/** Options of {@link ResumableChatTransport}. */
export interface ResumableChatTransportOptions {
  /**
   * The chat route of `createChatHandler`: messages are `POST`ed here, and a chat's stream is
   * at `{api}/{chatId}/stream`, as with the AI SDK's `DefaultChatTransport`.
   * @defaultValue `'/api/chat'`
   */
  api?: string
  /**
   * Headers of every request, or a function that returns them (called before each one, so a
   * token can be refreshed between reconnects).
   */
  headers?: HeadersOption
  /** Members added to the JSON body of every `POST`, before the chat's own. */
  body?: object
  /**
   * The `fetch` to use.
   * @defaultValue `globalThis.fetch`, looked up at each request
   */
  fetch?: FetchLike
  /**
   * How to reconnect after a drop (runstream's client policy), or `false` to never resume.
   * @defaultValue runstream's client default (exponential backoff from 1 s, at most 30 s, 10 tries)
   */
  reconnect?: ReconnectPolicy | false
  /**
   * A connection on which nothing arrives for this long is dropped and resumed; keep it above the
   * server's `heartbeatMs`. `0` turns the watchdog off.
   * @defaultValue 45_000
   */
  idleTimeoutMs?: number
  /**
   * Told of every failure, the ones it resumes after included.
   * @defaultValue runstream's client default: one `console.warn` line per failure
   */
  onError?: (error: RunstreamError, info: ErrorInfo) => void
  /** Told before each wait to reconnect. */
  onReconnect?: (info: ReconnectInfo) => void
}

const TERMINAL = new Set<string>(['finish', 'abort'])

/**
 * A `ChatTransport` for `useChat` (AI SDK 6 and 7) and a `createChatHandler` server, whose
 * replies survive dropped connections, restarted servers and reloaded pages.
 *
 * - `sendMessages` `POST`s the chat as `DefaultChatTransport` does, then follows the reply: after
 *   a drop it resumes with a `GET` of the run's `Location` and `Last-Event-ID`, so each chunk
 *   arrives once, in order, and the messages are never sent twice. When `useChat`'s stop aborts
 *   it, the run is cancelled on the server too.
 * - `reconnectToStream` (`useChat({ resume: true })` on page load) attaches to the chat's running
 *   reply and replays it from its start (`resumeStreamIsReplay`), or returns `null` when the chat
 *   has none; it then resumes through drops in the same way.
 *
 * @example
 * ```tsx
 * const { messages, sendMessage } = useChat({
 *   id: chatId,
 *   resume: true,
 *   transport: new ResumableChatTransport({ api: '/api/chat' }),
 * })
 * ```
 */
export class ResumableChatTransport<UI_MESSAGE extends UIMessage = UIMessage>
  implements ChatTransport<UI_MESSAGE>
{
  /** A reconnect replays the reply from its start, so `useChat` resets the message it streams. */
  readonly resumeStreamIsReplay = true
  /** The chat route. */
  readonly api: string
  private readonly options: ResumableChatTransportOptions
  /** The replies this transport follows now, so that {@link close} can release them. */
  private readonly open = new Set<StreamSubscription>()

  /** @param options - the chat route and how to reach it */
  constructor(options: ResumableChatTransportOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(
        "ResumableChatTransport: options must be an object such as { api: '/api/chat' }.",
      )
    }
    const api = options.api ?? '/api/chat'
    if (typeof api !== 'string' || api === '') {
      throw new TypeError(
        "ResumableChatTransport: `api` must be the chat route of createChatHandler, such as '/api/chat'.",
      )
    }
    this.api = api.replace(/\/+$/, '')
    this.options = options
  }

  /**
   * Sends the chat and streams the reply (see the class).
   * @param options - what `useChat` passes: the chat, its messages, the abort signal of its stop
   */
  async sendMessages(
    options: {
      trigger: 'submit-message' | 'regenerate-message'
      chatId: string
      messageId: string | undefined
      messages: UI_MESSAGE[]
      abortSignal: AbortSignal | undefined
    } & ChatRequestOptions,
  ): Promise<ReadableStream<UIMessageChunk>> {
    const { trigger, chatId, messageId, messages, abortSignal, headers, body } = options
    const payload = JSON.stringify({
      ...this.options.body,
      ...body,
      id: chatId,
      messages,
      trigger,
      messageId,
    })
    const subscription = this.follow(this.api, headers, abortSignal, {
      method: 'POST',
      body: payload,
    })
    // useChat's stop aborts this signal: the user wants the reply stopped, not just unfollowed.
    const onStop = () => void this.cancel(chatId).catch(() => undefined)
    abortSignal?.addEventListener('abort', onStop, { once: true })
    return chunks(subscription, abortSignal, () =>
      abortSignal?.removeEventListener('abort', onStop),
    )
  }

  /**
   * Attaches to the chat's running reply from its start, or returns `null` when it has none
   * (see the class).
   * @param options - what `useChat` passes: the chat's id, an abort signal
   */
  async reconnectToStream(
    options: { chatId: string; abortSignal?: AbortSignal | undefined } & ChatRequestOptions,
  ): Promise<ReadableStream<UIMessageChunk> | null> {
    const { chatId, abortSignal, headers } = options
    let opened: (open: boolean) => void = () => undefined
    const open = new Promise<boolean>((resolve) => {
      opened = resolve
    })
    const subscription = this.follow(
      `${this.api}/${encodeURIComponent(chatId)}/stream`,
      headers,
      abortSignal,
      {},
      () => opened(true),
    )
    const iterator = subscription[Symbol.asyncIterator]()
    // The first event, or the end (a 204: no running reply), or a fatal error, whichever is first.
    const first = iterator.next()
    const started = await Promise.race([open, first.then(() => false)])
    if (!started) {
      const step = await first
      if (step.done === true) return null
    }
    return chunks(subscription, abortSignal, undefined, iterator, first)
  }

  /**
   * Cancels the chat's running reply on the server, from any process (`POST {api}/{chatId}/cancel`):
   * for a stop button outside `useChat`. Resolves `true` when a running reply was cancelled.
   * @param chatId - the chat whose reply to cancel
   */
  async cancel(chatId: string): Promise<boolean> {
    const fetchFn = this.options.fetch ?? ((url, init) => globalThis.fetch(url, init))
    const headers = new Headers(
      typeof this.options.headers === 'function'
        ? await this.options.headers()
        : this.options.headers,
    )
    const response = await fetchFn(absolute(`${this.api}/${encodeURIComponent(chatId)}/cancel`), {
      method: 'POST',
      headers,
    })
    return canceled(response)
  }

  /**
   * Stops following every reply this transport follows now and releases their connections; the
   * replies keep running on the server, and a later `reconnectToStream` attaches to them again.
   * AI SDK 7 calls it from `Chat.dispose()`; the transport stays usable afterwards.
   */
  close(): void {
    for (const subscription of [...this.open]) subscription.close()
    this.open.clear()
  }

  private follow(
    url: string,
    extra: ChatRequestOptions['headers'],
    signal: AbortSignal | undefined,
    request: { method?: string; body?: string },
    onOpen?: () => void,
  ): StreamSubscription {
    const { fetch, reconnect, idleTimeoutMs, onError, onReconnect, headers } = this.options
    const subscription = connect(absolute(url), {
      ...request,
      headers: async () => {
        const merged = new Headers(typeof headers === 'function' ? await headers() : headers)
        for (const [name, value] of new Headers(extra)) merged.set(name, value)
        if (request.body !== undefined) merged.set('content-type', 'application/json')
        return merged
      },
      ...(fetch === undefined ? {} : { fetch }),
      ...(reconnect === undefined ? {} : { reconnect }),
      ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
      ...(onReconnect === undefined ? {} : { onReconnect }),
      ...(onError === undefined ? {} : { onError }),
      ...(signal === undefined ? {} : { signal }),
      ...(onOpen === undefined ? {} : { onOpen }),
      terminal: (event: ClientEvent<undefined>) => TERMINAL.has(event.type),
    })
    // Ended replies are forgotten here, so the set holds only the ones still followed.
    for (const followed of this.open)
      if (followed.readyState === 'closed') this.open.delete(followed)
    this.open.add(subscription)
    return subscription
  }
}

/**
 * The chunks of a subscription as the `ReadableStream` a transport returns: pulled one at a time
 * (so a slow reader slows the network), closed after the terminal chunk, cancelled with the
 * stream. An abort of `signal` errors it with the signal's `AbortError`, as `fetch` does, which
 * `useChat` takes for its stop.
 */
function chunks(
  subscription: StreamSubscription,
  signal: AbortSignal | undefined,
  done?: () => void,
  iterator: AsyncIterator<ClientEvent<undefined>> = subscription[Symbol.asyncIterator](),
  pending?: Promise<IteratorResult<ClientEvent<undefined>>>,
): ReadableStream<UIMessageChunk> {
  let next = pending
  return new ReadableStream<UIMessageChunk>({
    async pull(controller) {
      try {
        const step = await (next ?? iterator.next())
        next = undefined
        if (step.done === true) {
          done?.()
          if (signal?.aborted === true) controller.error(abortError(signal))
          else controller.close()
          return
        }
        controller.enqueue(step.value.data as UIMessageChunk)
      } catch (error) {
        done?.()
        controller.error(signal?.aborted === true ? abortError(signal) : error)
      }
    },
    cancel() {
      done?.()
      subscription.close()
    },
  })
}

function abortError(signal: AbortSignal): unknown {
  const reason: unknown = signal.reason
  return reason instanceof Error && reason.name === 'AbortError'
    ? reason
    : new DOMException('The operation was aborted.', 'AbortError')
}

/** A URL the client can fetch: relative URLs resolve against the page, as `fetch` does. */
function absolute(url: string): string {
  const page = (globalThis as { location?: { href: string } }).location?.href
  return page === undefined ? url : new URL(url, page).href
}
