import type {
  ConnectOptions,
  ErrorInfo,
  FetchLike,
  HeadersOption,
  ReadyState,
  ReconnectInfo,
  RunstreamError,
  StreamEvent,
} from '../client.js'
import { nextFrame } from './schedule.js'
import type { Link, Opener } from './store.js'

/** What every hook reports about its connection, besides what it folds from the events. */
export interface ConnectionState {
  /** `connecting` (before the first response, and while waiting to reconnect), `open`, or `closed` (ended). */
  readonly readyState: ReadyState
  /**
   * The last error the connection reported: a retryable one while it reconnects (cleared when it
   * opens again), or the fatal one that ended it.
   */
  readonly error: RunstreamError | undefined
  /**
   * The cursor after the last event delivered, qualified with the stream's epoch when the server
   * told it (`"<epoch>.<id>"`): where a reconnect resumes, and what to pass as `lastEventId` to
   * resume later.
   */
  readonly lastEventId: string | undefined
}

/** The callbacks and request options a hook may change from one render to the next. */
export interface LiveOptions {
  /** See `ConnectOptions.headers`. Read before every attempt, from the latest render. */
  headers?: HeadersOption
  /** See `ConnectOptions.fetch`. */
  fetch?: FetchLike
  /** See `ConnectOptions.onOpen`. */
  onOpen?: (response: Response) => void
  /** See `ConnectOptions.onError`. Errors also appear in the hook's `error`. */
  onError?: (error: RunstreamError, info: ErrorInfo) => void
  /** See `ConnectOptions.onReconnect`. */
  onReconnect?: (info: ReconnectInfo) => void
}

/** How a hook turns events into its snapshot: `add` takes each event, `read` makes a snapshot. */
export interface View<S> {
  add(event: StreamEvent): void
  read(state: ConnectionState): S
}

/** The options `connect()` is given so that the latest render's callbacks are the ones called. */
export type LiveConnectOptions = Required<
  Pick<ConnectOptions, 'headers' | 'fetch' | 'onOpen' | 'onError' | 'onReconnect'>
>

/**
 * What a view reads events from: a `connect()` subscription, or any source of the same shape
 * (one stream of a shared connection, later).
 */
export interface EventFeed extends AsyncIterable<StreamEvent> {
  readonly readyState: ReadyState
  /** The feed's cursor (a `connect()` subscription's), when it keeps one. */
  readonly lastEventId?: string | undefined
  close(): void
}

/**
 * An {@link Opener} that starts a subscription with `start`, feeds each event to a fresh view
 * and publishes its snapshot at most once a frame.
 */
export function openView<S, O extends LiveOptions>(
  start: (live: LiveConnectOptions, options: O) => EventFeed,
  createView: (options: O) => View<S>,
  lastEventId: string | undefined,
): Opener<S, O> {
  return (link: Link<S, O>) => {
    const view = createView(link.options)
    let error: RunstreamError | undefined
    let scheduled = false
    let stopped = false
    const flush = () => {
      scheduled = false
      if (!stopped) {
        link.publish(view.read({ readyState: subscription.readyState, error, lastEventId }))
      }
    }
    const schedule = () => {
      if (scheduled) return
      scheduled = true
      nextFrame(flush)
    }
    const subscription = start(
      {
        headers: () => {
          const headers = link.options.headers
          return (typeof headers === 'function' ? headers() : headers) ?? {}
        },
        fetch: (url, init) => (link.options.fetch ?? fetch)(url, init),
        onOpen(response) {
          error = undefined
          schedule()
          link.options.onOpen?.(response)
        },
        onError(reported, info) {
          error = reported
          schedule()
          link.options.onError?.(reported, info)
        },
        onReconnect(info) {
          schedule()
          link.options.onReconnect?.(info)
        },
      },
      link.options,
    )
    void (async () => {
      try {
        for await (const event of subscription) {
          if (event.id) lastEventId = subscription.lastEventId ?? event.id
          view.add(event)
          schedule()
        }
      } catch (fatal) {
        error = fatal as RunstreamError
      }
      schedule()
    })()
    return () => {
      stopped = true
      subscription.close()
    }
  }
}
