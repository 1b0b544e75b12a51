import type { AgentSubscriber, RunAgentResult } from '@ag-ui/client'
import { AbstractAgent, type AgentConfig, type RunAgentParameters } from '@ag-ui/client'
import type { BaseEvent, Message, RunAgentInput, State } from '@ag-ui/core'
import { Observable } from 'rxjs'
import { canceled } from '../client/canceled.js'
import { connect } from '../client/connect.js'
import type { ClientEvent } from '../client/events.js'
import type { ErrorInfo, FetchLike, ReconnectInfo } from '../client/options.js'
import type { ReconnectPolicy } from '../client/policy.js'
import type { RunstreamError } from '../core/errors.js'

/**
 * The Observable of events `AbstractAgent.run` returns, as `@ag-ui/client` names it. Written this
 * way, not as `Observable<BaseEvent>` from `rxjs`, because `@ag-ui/client` pins its own `rxjs`: a
 * project whose `rxjs` is another 7.x has two copies, and a type from ours would not match the
 * base class's.
 */
type AgentEvents = ReturnType<AbstractAgent['run']>

/** Options of {@link RunstreamAgent}: AG-UI's `AgentConfig` plus where and how to reach the server. */
export interface RunstreamAgentConfig extends AgentConfig {
  /**
   * The URL `createAgUiHandler` answers on: runs start with a `POST` here, as `HttpAgent` does.
   * Absolute, or relative to the page in a browser.
   */
  url: string
  /** Headers of every request (the `POST` and each resuming `GET`). */
  headers?: Record<string, string>
  /**
   * The `fetch` to use.
   * @defaultValue `globalThis.fetch`, looked up at each request
   */
  fetch?: FetchLike
  /**
   * How to reconnect after a drop: runstream's client policy (backoff, retries), or `false` to
   * never resume (then a drop fails the run, as with `HttpAgent`).
   * @defaultValue runstream's client default (exponential backoff from 1 s, at most 30 s, 10 tries)
   */
  reconnect?: ReconnectPolicy | false
  /**
   * A connection on which nothing arrives for this long is dropped and resumed; keep it above
   * the server's `heartbeatMs`. `0` turns the watchdog off.
   * @defaultValue 45_000
   */
  idleTimeoutMs?: number
  /**
   * Told of every failure the agent survives or not (a drop it resumes after, a retry, the one
   * that ends the run).
   * @defaultValue runstream's client default: one `console.warn` line per failure
   */
  onError?: (error: RunstreamError, info: ErrorInfo) => void
  /** Told before each wait to reconnect. */
  onReconnect?: (info: ReconnectInfo) => void
}

/**
 * A run this agent follows: its thread, its stream's URL (once the server named it, until its
 * terminal event), and what the agent held when it started, to rewind to before a replay.
 */
interface Position {
  readonly threadId: string
  url: string | undefined
  readonly start: { readonly messages: Message[]; readonly state: State } | undefined
}

const TERMINAL = new Set<string>(['RUN_FINISHED', 'RUN_ERROR'])

/**
 * An AG-UI agent (`AbstractAgent` of `@ag-ui/client`) for a `createAgUiHandler` server, whose
 * runs survive dropped connections, restarted servers and reloaded pages. It starts a run with a
 * `POST` of the `RunAgentInput`, as `HttpAgent` does, then resumes with a `GET` of the run's
 * `Location` and `Last-Event-ID` after every drop, so every event reaches the agent once, in order;
 * the `POST` is never sent twice.
 *
 * `connectAgent()` attaches to the thread's running run (after a reload, say) and replays it from
 * its first event; an agent that followed the run already is first rewound to the messages and
 * state it held when the run started, so that nothing is applied twice. A thread with no running
 * run ends at once, with nothing new.
 *
 * `abortRun()` stops following; the run goes on on the server (a disconnect never cancels it).
 * `cancelRun()` cancels it on the server.
 *
 * Needs `@ag-ui/client` and `rxjs`, optional peers of runstream.
 * @example
 * ```ts
 * const agent = new RunstreamAgent({ url: '/api/agent' })
 * agent.addMessage({ id: 'u1', role: 'user', content: 'Hi' })
 * const { newMessages } = await agent.runAgent()
 * ```
 */
export class RunstreamAgent extends AbstractAgent {
  /** The URL runs start at (`POST`). */
  public url: string
  /** Headers of every request. */
  public headers: Record<string, string>
  /** Aborts the run being followed (a new one per `runAgent`, as in `HttpAgent`). */
  public abortController: AbortController = new AbortController()
  private followOptions: Omit<RunstreamAgentConfig, 'url' | 'headers'>
  private followed: Position | undefined

  /** @param config - AG-UI's agent options, the server's `url`, and how to reconnect */
  constructor(config: RunstreamAgentConfig) {
    super(config)
    if (typeof config?.url !== 'string' || config.url === '') {
      throw new TypeError(
        "RunstreamAgent: `url` must be the URL createAgUiHandler answers on, such as '/api/agent'.",
      )
    }
    const { url, headers, ...options } = config
    this.url = url
    this.headers = { ...headers }
    this.followOptions = options
  }

  /**
   * Runs the agent: `POST`s the run's input and follows its events to the end, through drops.
   * @param parameters - AG-UI's run parameters, and the `abortController` that stops following
   * @param subscriber - a subscriber for this run only
   */
  override runAgent(
    parameters?: RunAgentParameters & { abortController?: AbortController },
    subscriber?: AgentSubscriber,
  ): Promise<RunAgentResult> {
    this.abortController = parameters?.abortController ?? new AbortController()
    return super.runAgent(parameters, subscriber)
  }

  /**
   * Attaches to the thread's running run, if any (see the class).
   * @param parameters - AG-UI's run parameters, and the `abortController` that stops following
   * @param subscriber - a subscriber for this attachment only
   */
  override connectAgent(
    parameters?: RunAgentParameters & { abortController?: AbortController },
    subscriber?: AgentSubscriber,
  ): Promise<RunAgentResult> {
    this.abortController = parameters?.abortController ?? new AbortController()
    const known = this.followed
    if (known?.url !== undefined && known.threadId === this.threadId && known.start !== undefined) {
      // The run is replayed from its start: first undo what this agent applied of it, so that
      // nothing is applied twice (AG-UI appends a replayed delta to the message it has).
      this.messages = structuredClone(known.start.messages)
      this.state = structuredClone(known.start.state)
    }
    return super.connectAgent(parameters, subscriber)
  }

  /** Stops following the current run. The run itself goes on; see {@link RunstreamAgent.cancelRun}. */
  override abortRun(): void {
    this.abortController.abort()
    super.abortRun()
  }

  /**
   * Cancels the thread's running run on the server, from any process (`POST` to the run's
   * `cancel` route). Resolves `true` when a running run was cancelled.
   * @param threadId - the thread whose run to cancel
   * @defaultValue threadId - this agent's thread
   */
  async cancelRun(threadId: string = this.threadId): Promise<boolean> {
    const fetchFn = this.followOptions.fetch ?? ((url, init) => globalThis.fetch(url, init))
    const response = await fetchFn(
      new URL(`${threadPath(this.url, threadId)}/cancel`, base()).href,
      {
        method: 'POST',
        headers: this.headers,
      },
    )
    return canceled(response)
  }

  /** The run's events, from its `POST` to its terminal event, through every drop. */
  override run(input: RunAgentInput): AgentEvents {
    const position: Position = {
      threadId: input.threadId,
      url: undefined,
      start: { messages: structuredClone(this.messages), state: structuredClone(this.state) },
    }
    this.followed = position
    return this.follow(this.url, position, {
      method: 'POST',
      body: JSON.stringify(input),
      headers: { ...this.headers, 'content-type': 'application/json' },
    })
  }

  /** The thread's running run, resumed or replayed (see the class). */
  protected override connect(input: RunAgentInput): AgentEvents {
    const known = this.followed
    if (known !== undefined && known.threadId === input.threadId && known.url !== undefined) {
      return this.follow(known.url, known, { headers: this.headers })
    }
    const position: Position = {
      threadId: input.threadId,
      url: undefined,
      start: { messages: structuredClone(this.messages), state: structuredClone(this.state) },
    }
    this.followed = position
    return this.follow(`${threadPath(this.url, input.threadId)}/stream`, position, {
      headers: this.headers,
    })
  }

  /** A copy with the same server, headers and options, and a fresh abort controller. */
  override clone(): RunstreamAgent {
    const cloned = super.clone() as RunstreamAgent
    cloned.url = this.url
    cloned.headers = { ...this.headers }
    cloned.abortController = new AbortController()
    cloned.followOptions = this.followOptions
    cloned.followed = this.followed === undefined ? undefined : { ...this.followed }
    return cloned
  }

  private follow(
    url: string,
    position: Position,
    request: { method?: string; body?: string; headers: Record<string, string> },
  ): AgentEvents {
    const signal = this.abortController.signal
    const { fetch, reconnect, idleTimeoutMs, onError, onReconnect } = this.followOptions
    // Any rxjs 7 Observable works at run time (the client only pipes it): the cast is to the
    // client's copy of the same class.
    const events = new Observable<BaseEvent>((subscriber) => {
      const stop = new AbortController()
      const onAbort = () => stop.abort()
      signal.addEventListener('abort', onAbort, { once: true })
      let lost = false
      const subscription = connect(url, {
        ...request,
        ...(fetch === undefined ? {} : { fetch }),
        ...(reconnect === undefined ? {} : { reconnect }),
        ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
        ...(onReconnect === undefined ? {} : { onReconnect }),
        signal: stop.signal,
        terminal: (event: ClientEvent<undefined>) => TERMINAL.has(event.type),
        onOpen(response) {
          const location =
            response.headers.get('location') ?? response.headers.get('content-location')
          if (location) position.url = new URL(location, response.url || base()).href
        },
        onError(error, info) {
          // Events of the run were lost (the store no longer holds them): what follows cannot
          // be applied on top of what the agent has. The run ends here, in AG-UI's words.
          if (error.code === 'cursor_expired') lost = true
          if (onError !== undefined) onError(error, info)
          else if (!info.fatal) console.warn(`[runstream/ag-ui] ${error.code}: ${error.message}`)
        },
      })
      void (async () => {
        try {
          for await (const event of subscription) {
            if (lost) {
              subscriber.next({
                type: 'RUN_ERROR',
                message: 'Events of this run were lost: the server no longer holds them.',
                code: 'cursor_expired',
              } as BaseEvent)
              break
            }
            subscriber.next(event.data as BaseEvent)
            if (TERMINAL.has(event.type)) position.url = undefined
          }
          if (signal.aborted) {
            // As HttpAgent: following was aborted, which AG-UI clients read as this RUN_ERROR.
            subscriber.next({ type: 'RUN_ERROR', message: 'aborted', code: 'abort' } as BaseEvent)
          }
          subscriber.complete()
        } catch (error) {
          subscriber.error(error)
        } finally {
          signal.removeEventListener('abort', onAbort)
        }
      })()
      return () => {
        signal.removeEventListener('abort', onAbort)
        subscription.close()
      }
    })
    return events as unknown as AgentEvents
  }
}

/** `{url}/threads/{threadId}`, the thread's routes on createAgUiHandler. */
function threadPath(url: string, threadId: string): string {
  return `${url.replace(/\/+$/, '')}/threads/${encodeURIComponent(threadId)}`
}

function base(): string | undefined {
  return (globalThis as { location?: { href: string } }).location?.href
}
