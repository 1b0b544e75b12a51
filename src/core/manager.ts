import type { AnyCatalog, CatalogEvent, EmitArgs, EventName } from './catalog.js'
import {
  describe,
  optionalFunction,
  optionsObject,
  positiveInteger,
  refuseRenamed,
} from './check.js'
import {
  type CatalogEnvelope,
  type DraftEvent,
  draftBody,
  type EventRecord,
  envelopeHead,
} from './envelope.js'
import { EventValidationError, isRunstreamError, RunstreamError } from './errors.js'
import { createHub, type Hub } from './hub.js'
import { resolveManagerOptions, type StreamManagerOptions } from './manager-options.js'
import {
  createMetricsRecorder,
  type MetricsObserver,
  registerRecorder,
  type StreamMetrics,
} from './metrics.js'
import { countingStore } from './metrics-store.js'
import { type CancelOutcome, createRuns, type RunKind, type StartRunOptions } from './runs.js'
import type { EventStore } from './store.js'
import {
  type Closable,
  createSubscription,
  type RecordSubscription,
  type SubscribeOptions,
  type Subscription,
} from './subscription.js'
import type { Transport } from './transport.js'
import { utf8Length } from './utf8.js'

export type { StreamManagerOptions } from './manager-options.js'

/**
 * Owns the streams of one process: gives events their envelope and id, stores them, and delivers
 * them to transports and subscribers.
 */
export interface StreamManager<C extends AnyCatalog = AnyCatalog> {
  /** The catalog given at creation. */
  readonly catalog: C
  /** The event store in use. */
  readonly store: EventStore
  /** The handle for emitting to one stream. Cheap: call it as often as you like. */
  stream(name: string): StreamHandle<C>
  /**
   * Follows one stream: replays what the store holds after `lastEventId`, then live events,
   * ending after the terminal event, on `close()`, `break` or abort. It yields envelopes
   * (`{ id, type, stream, ts, data }`), typed by the catalog: the same shape the client yields.
   *
   * @example
   * ```ts
   * for await (const event of manager.subscribe({ stream: 'workflow:exec_42' })) {
   *   if (event.type === 'llm_chunk') process.stdout.write(event.data.text)
   * }
   * ```
   */
  subscribe(options: SubscribeOptions): Subscription<CatalogEnvelope<C>>
  /**
   * The same subscription, yielding event records: the envelope with its JSON text, produced
   * once, and its terminal flag. For servers and transports that send `record.json` as it is;
   * an app wants {@link StreamManager.subscribe}.
   */
  subscribeRecords(options: SubscribeOptions): RecordSubscription<CatalogEnvelope<C>>
  /**
   * Reports a failure to this manager's `onError` (the option given, or its `console.error`
   * default). Never throws. The server handlers report here unless given an `onError` of their own.
   */
  onError(error: RunstreamError): void
  /**
   * Starts a run: claims a new stream `<kind>:<id>` in the store and returns its handle, with an
   * `AbortSignal` that aborts when anyone, in any process sharing the store, cancels the run
   * (`cancelRun`). A stream that already exists (it holds events, or a run was started under this
   * id) is refused: the promise rejects with a `RunstreamError` of code `run_exists`. A bad `kind`
   * or `id` throws a `TypeError`.
   *
   * The run ends with its stream's terminal event. Nothing else ends it: a client that
   * disconnects, and a process that restarts, leave it running.
   *
   * @param kind - the first part of the stream's name: `'workflow'`, `'agent'`, `'task'`, or a
   *   name of your own
   * @example
   * ```ts
   * const run = await manager.startRun('workflow')
   * // run.id: a fresh id; run.name: 'workflow:<id>'
   * run.stream.emit('workflow_start', { workflow_id: 'wf_1', execution_id: run.id })
   * for (const step of steps) {
   *   if (run.signal.aborted) return // cancelled: runstream ends the stream after cancelGraceMs
   *   await step(run.signal)
   * }
   * run.stream.emit('complete', { status: 'SUCCESS' })
   * ```
   */
  startRun(kind: RunKind, options?: StartRunOptions): Promise<Run<C>>
  /**
   * Cancels a run from any process sharing the store: the producer's `run.signal` aborts (its
   * `reason` is a `RunstreamError` of code `run_canceled`), and if the stream has not ended after
   * `cancelGraceMs`, runstream emits the catalog's cancellation event (the execution catalog:
   * `error` with status `CANCELED`). Works on any stream that holds events, not only runs
   * started with `startRun`. Cancelling twice, or a finished run, is harmless.
   *
   * @param name - the run's stream name, such as `workflow:exec_42` (`run.name`)
   * @param reason - why, shown in the cancellation event (at most 1000 characters)
   * @returns what it found: `'canceled'`, `'finished'` (already ended: nothing done) or
   *   `'unknown'` (no such run or stream)
   * @example
   * ```ts
   * app.post('/runs/:id/stop', async (req, res) => {
   *   const outcome = await manager.cancelRun(`workflow:${req.params.id}`, 'Stopped by the user.')
   *   res.status(outcome === 'unknown' ? 404 : 202).json({ outcome })
   * })
   * ```
   */
  cancelRun(name: string, reason?: string): Promise<CancelOutcome>
  /**
   * The figures of this manager since it was created, and of every server handler made with it:
   * open streams and connections, events emitted, delivered, replayed and dropped, slow clients
   * cut off, store failures, reconnects, and delivery lag. A fresh plain object on every call,
   * cheap enough to poll; see {@link StreamMetrics} and docs/operations.md.
   *
   * @example
   * ```ts
   * setInterval(() => console.log(JSON.stringify(manager.metrics())), 60_000).unref()
   * ```
   */
  metrics(): StreamMetrics
  /**
   * Calls `observer`'s hooks as this manager counts, until the function returned is called:
   * for push-based metrics and figures per stream. Hooks run synchronously on the delivery path
   * and must be cheap; several observers may be attached. Unobserved, counting costs a few
   * additions and no call.
   *
   * @example
   * ```ts
   * const delivered = new Map<string, number>()
   * const stop = manager.observe({
   *   onDeliver(stream, count) {
   *     delivered.set(stream, (delivered.get(stream) ?? 0) + count)
   *   },
   * })
   * // … later
   * stop()
   * ```
   */
  observe(observer: MetricsObserver): () => void
  /** Resolves when every event emitted so far is stored and handed to every transport. */
  flush(): Promise<void>
  /**
   * Flushes, ends every subscription, closes the transports, then closes the store (its
   * connections and timers), so that a producer process can exit. Emits afterwards are reported
   * as `stream_finished`.
   */
  close(): Promise<void>
}

/**
 * A run started with {@link StreamManager.startRun}: its stream's handle, and the signal that tells
 * its producer it was cancelled.
 */
export interface Run<C extends AnyCatalog = AnyCatalog> {
  /** The execution id: the one given, or a fresh random one. */
  readonly id: string
  /** The kind given to `startRun`, such as `'workflow'`. */
  readonly kind: string
  /** The stream's name: `<kind>:<id>`, such as `workflow:exec_42`. */
  readonly name: string
  /** The handle to emit the run's events into; the run ends with a terminal event. */
  readonly stream: StreamHandle<C>
  /**
   * Aborts when the run is cancelled, from any process sharing the store (`cancelRun`), or when
   * the manager closes. Pass it on to the work (`fetch`, the LLM call) and stop emitting.
   */
  readonly signal: AbortSignal
}

/** Emits into one stream. */
export interface StreamHandle<C extends AnyCatalog = AnyCatalog> {
  /** The stream's name, such as `workflow:exec_42`. */
  readonly name: string
  /** Whether the stream's terminal event was emitted. */
  readonly finished: boolean
  /**
   * Emits one event. Fire-and-forget: it returns at once, never waits for a transport and never
   * throws. Failures go to the manager's `onError`, and nothing is sent for an invalid event.
   *
   * @param type - an event name of the catalog
   * @param data - the payload (the schema's input type); may be left out when the schema accepts `undefined`
   */
  emit<K extends EventName<C>>(type: K, ...data: EmitArgs<C, K>): void
}

/**
 * Creates a stream manager.
 *
 * @example
 * ```ts
 * const manager = createStreamManager({ catalog: executionCatalog })
 * const stream = manager.stream('workflow:exec_42')
 * stream.emit('workflow_start', { workflow_id: 'wf_1', execution_id: 'exec_42' })
 * stream.emit('complete', { status: 'SUCCESS' })
 * ```
 */
export function createStreamManager<C extends AnyCatalog>(
  options: StreamManagerOptions<C>,
): StreamManager<C> {
  const {
    catalog,
    store,
    transports,
    validate,
    maxEventBytes,
    maxQueuedEvents,
    onError,
    cancelGraceMs,
  } = resolveManagerOptions(options)
  // Only streams with deliveries in flight are kept here, so the map stays small.
  const handles = new Map<string, HandleState>()
  const hubs = new Map<string, Hub>()
  const subscriptions = new Set<Closable>()
  const inFlight = new Set<Promise<unknown>>()
  // Names of streams that finished, remembered (bounded) after their handle state is dropped.
  const finishedNames = new Set<string>()
  let closed = false
  let closing: Promise<void> | undefined
  // The quoted type and stream of the last event, reused while they stay the same: a producer
  // streams tokens of one type on one stream, and quoting them again was a sixth of the bytes an
  // emit allocated (short-lived strings, each one more reason for a scavenge).
  let headType = ''
  let headStream = ''
  let head = ''
  const metrics = createMetricsRecorder({
    gauges: () => ({ openStreams: hubs.size, openSubscriptions: subscriptions.size }),
    report,
  })
  // Hubs and subscriptions reach the store through this: it counts replays and failures.
  const watchedStore = countingStore(store, metrics)
  const runs = createRuns({
    store,
    catalog,
    graceMs: cancelGraceMs,
    handle: (name) => handleFor(name),
    report,
  })

  const manager: StreamManager<C> = {
    catalog,
    store,
    onError: report,
    stream(name) {
      checkStreamName(name)
      return handleFor(name)
    },
    subscribe(subscribeOptions) {
      return open(subscribeOptions, true) as Subscription<CatalogEnvelope<C>>
    },
    subscribeRecords(subscribeOptions) {
      return open(subscribeOptions, false) as RecordSubscription<CatalogEnvelope<C>>
    },
    startRun(kind, runOptions) {
      return runs.start(kind, runOptions) as Promise<Run<C>>
    },
    cancelRun: (name, reason) => runs.cancel(name, reason),
    metrics: () => metrics.snapshot(),
    observe: (observer) => metrics.observe(observer),
    flush,
    close() {
      closing ??= shutDown()
      return closing
    },
  }
  registerRecorder(manager, metrics)
  return manager

  function open(given: SubscribeOptions, envelopes: boolean) {
    const subscribeOptions = checkSubscribeOptions(given)
    const name = subscribeOptions.stream
    let hub = hubs.get(name)
    if (hub === undefined) {
      const created = createHub(watchedStore, name, () => {
        if (hubs.get(name) === created) hubs.delete(name)
      })
      hub = created
      hubs.set(name, hub)
    }
    const subscription = createSubscription(
      {
        store: watchedStore,
        metrics,
        hub,
        maxQueuedEvents: positiveInteger(
          'subscribe',
          'maxQueuedEvents',
          subscribeOptions.maxQueuedEvents,
          maxQueuedEvents,
          'events',
          '10_000',
        ),
        pageSize: 1000,
        envelopes,
        // It leaves the set itself when it ends (done, failed, returned or closed): no wrapper
        // closures per subscriber.
        owners: subscriptions,
      },
      subscribeOptions,
    )
    subscriptions.add(subscription)
    return subscription
  }

  async function shutDown(): Promise<void> {
    closed = true
    await flush()
    await runs.close()
    for (const subscription of subscriptions) subscription.close()
    subscriptions.clear()
    for (const transport of transports) {
      try {
        await transport.close?.()
      } catch (error) {
        report(
          new RunstreamError('transport_failed', `Transport "${transport.name}" failed to close.`, {
            cause: error,
            details: { transport: transport.name },
          }),
        )
      }
    }
    try {
      await store.close?.()
    } catch (error) {
      report(
        new RunstreamError(
          'store_failed',
          `The event store failed to close: ${error instanceof Error ? error.message : String(error)}.`,
          { cause: error },
        ),
      )
    }
  }

  function handleFor(name: string): StreamHandle<C> {
    const existing = handles.get(name)
    if (existing !== undefined) return existing.handle
    const state: HandleState = {
      finished: finishedNames.has(name),
      chain: undefined,
      handle: undefined as unknown as StreamHandle<C>,
    }
    state.handle = {
      name,
      get finished() {
        return state.finished
      },
      emit(type: string, data?: unknown) {
        try {
          emit(state, name, type, data)
        } catch (error) {
          metrics.storeFailed('append', error)
          report(
            new RunstreamError(
              'store_failed',
              `Emitting "${type}" on "${name}" failed unexpectedly.`,
              {
                cause: error,
                details: { stream: name, eventType: type },
              },
            ),
          )
        }
      },
    } as StreamHandle<C>
    return state.handle
  }

  function emit(state: HandleState, name: string, type: string, data: unknown): void {
    if (closed) {
      refuse(
        new RunstreamError(
          'stream_finished',
          `Event "${type}" was emitted on "${name}" after the manager was closed; it was not sent.`,
          {
            details: { stream: name, eventType: type },
          },
        ),
      )
      return
    }
    if (state.finished) {
      refuse(
        new RunstreamError(
          'stream_finished',
          `Event "${type}" was emitted on "${name}" after its terminal event; it was not sent. Emit terminal events (${catalog.terminal.join(', ') || 'none'}) last.`,
          { details: { stream: name, eventType: type } },
        ),
      )
      return
    }
    // Checked even with validation off: the type becomes the SSE `event:` line, where a line
    // break would let it inject frames, and a record that cannot be framed would end every
    // watcher's stream each time it is replayed.
    if (typeof type !== 'string' || !EVENT_TYPE.test(type)) {
      refuse(
        new EventValidationError(
          'unknown_event',
          `Invalid event type ${JSON.stringify(String(type).slice(0, 40))} on "${name}": an event name is 1 or more characters without control characters (CR, LF, NUL, …). Fix the name; nothing was sent.`,
          { eventType: String(type).slice(0, 40), stream: name },
        ),
      )
      return
    }
    let value = data
    if (validate) {
      const result = catalog.validate(type, data, name)
      if (!result.ok) {
        refuse(result.error)
        return
      }
      value = result.data
    }
    const ts = clock()
    if (type !== headType || name !== headStream) {
      head = envelopeHead(type, name)
      headType = type
      headStream = name
    }
    let body: string
    try {
      body = draftBody(type, name, ts, value, head)
    } catch (error) {
      refuse(
        new RunstreamError(
          'serialization_failed',
          `Event "${type}" on "${name}" cannot be turned into JSON (${error instanceof Error ? error.message : String(error)}). Send plain JSON values: no BigInt, cycles or functions.`,
          { cause: error, details: { stream: name, eventType: type } },
        ),
      )
      return
    }
    // Cheap check first: a UTF-16 length can only grow when encoded as UTF-8 (by at most 3×).
    if (body.length * 3 + 32 > maxEventBytes) {
      const bytes = utf8Length(body) + 32
      if (bytes > maxEventBytes) {
        refuse(
          new RunstreamError(
            'event_too_large',
            `Event "${type}" on "${name}" is ${bytes} bytes of JSON, over maxEventBytes (${maxEventBytes}). Send large payloads by reference (a URL or id) or raise maxEventBytes.`,
            { details: { stream: name, eventType: type, bytes, maxEventBytes } },
          ),
        )
        return
      }
    }
    const terminal = catalog.isTerminal(type)
    if (terminal) {
      state.finished = true
      rememberFinished(name)
    }
    const draft: DraftEvent = { type, stream: name, ts, data: value, terminal, body }
    let appended: EventRecord | Promise<EventRecord>
    try {
      appended = store.append(draft)
    } catch (error) {
      reportStoreFailure(error, state, name, type)
      // Not stored: the run is over here, but a grace timer still ends its stream.
      if (terminal) runs.terminal(name, undefined)
      return
    }
    // A run started here ends with its terminal event: its claim goes once the event is stored.
    if (terminal) runs.terminal(name, appended)
    if (!isPromise(appended) && state.chain === undefined) {
      deliver(appended)
    } else {
      // Appends were issued in order; deliveries wait for the ones before them, even when an
      // earlier append is still settling (one whose reply was lost is looked up first). A failure
      // is reported at once: it delivers nothing.
      const previous = state.chain ?? Promise.resolve()
      const settled = Promise.resolve(appended).then(
        (record) => () => deliver(record),
        (error: unknown) => {
          reportStoreFailure(error, state, name, type)
          return noop
        },
      )
      const current = Promise.all([previous, settled]).then(([, act]) => act())
      state.chain = current
      // While deliveries are pending, every handle of this stream shares this state and its order.
      handles.set(name, state)
      track(current)
      void current.then(() => {
        if (state.chain !== current) return
        state.chain = undefined
        if (handles.get(name) === state) handles.delete(name)
      })
    }
  }

  function deliver(record: EventRecord): void {
    metrics.emitted(record)
    for (const transport of transports) {
      try {
        const sent = transport.send(record)
        if (isPromise(sent)) {
          track(sent.catch((error: unknown) => reportTransportFailure(error, transport, record)))
        }
      } catch (error) {
        reportTransportFailure(error, transport, record)
      }
    }
  }

  function reportTransportFailure(error: unknown, transport: Transport, record: EventRecord): void {
    // Transports that throw runstream errors (overflow, a joined write that failed) already say what happened.
    if (isRunstreamError(error)) {
      report(error)
      return
    }
    report(
      new RunstreamError(
        'transport_failed',
        `Transport "${transport.name}" failed to send event ${record.envelope.id} ("${record.envelope.type}") of "${record.envelope.stream}": ${error instanceof Error ? error.message : String(error)}. The other transports still received it.`,
        {
          cause: error,
          details: {
            transport: transport.name,
            stream: record.envelope.stream,
            id: record.envelope.id,
            eventType: record.envelope.type,
          },
        },
      ),
    )
  }

  function reportStoreFailure(
    error: unknown,
    state: HandleState,
    name: string,
    type: string,
  ): void {
    if (isRunstreamError(error, 'stream_finished')) {
      // Another producer ended the stream: the store refused this event, and will refuse the rest.
      state.finished = true
      rememberFinished(name)
      runs.refused(name)
      refuse(error)
      return
    }
    metrics.storeFailed('append', error)
    if (isRunstreamError(error, 'store_unknown')) {
      // The store cannot tell whether it kept the event: say so, and nothing more.
      report(
        new RunstreamError(
          'store_unknown',
          `The event store could not tell whether it stored "${type}" on "${name}": ${error.message} Subscribers receive it if it was stored; the transports did not. Emitting it again may duplicate it.`,
          { cause: error, details: { stream: name, eventType: type } },
        ),
      )
      return
    }
    report(
      new RunstreamError(
        'store_failed',
        `The event store did not accept "${type}" on "${name}": ${error instanceof Error ? error.message : String(error)}. The event was not stored or sent; emitting it again makes no duplicate once the store is back.`,
        { cause: error, details: { stream: name, eventType: type } },
      ),
    )
  }

  // An emit that sends nothing: counted, then reported.
  function refuse(error: RunstreamError): void {
    metrics.rejected(error)
    report(error)
  }

  function report(error: RunstreamError): void {
    try {
      onError(error)
    } catch {
      // onError must not throw; if it does, the producer is still protected.
    }
  }

  function track(promise: Promise<unknown>): void {
    inFlight.add(promise)
    void promise.finally(() => inFlight.delete(promise))
  }

  async function flush(): Promise<void> {
    while (inFlight.size > 0) {
      await Promise.allSettled([...inFlight])
    }
  }

  function rememberFinished(name: string): void {
    finishedNames.add(name)
    if (finishedNames.size > 10_000) {
      const oldest = finishedNames.values().next().value
      if (oldest !== undefined) finishedNames.delete(oldest)
    }
  }
}

interface HandleState {
  finished: boolean
  chain: Promise<void> | undefined
  // biome-ignore lint/suspicious/noExplicitAny: the handle's catalog type is fixed by the manager
  handle: StreamHandle<any>
}

const STREAM_NAME = /^[^\u0000-\u001f\u007f]{1,512}$/
// What an event type may be: what the SSE `event:` line can carry, and the catalog allows.
const EVENT_TYPE = /^[^\u0000-\u001f\u007f]+$/

function checkStreamName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !STREAM_NAME.test(name)) {
    throw new TypeError(
      `Invalid stream name ${JSON.stringify(String(name).slice(0, 40))}: use 1 to 512 characters without control characters, such as "workflow:exec_42".`,
    )
  }
}

function checkSubscribeOptions(given: SubscribeOptions): SubscribeOptions {
  const options = optionsObject('subscribe', given)
  refuseRenamed('subscribe', options, { after: 'lastEventId', maxQueue: 'maxQueuedEvents' })
  checkStreamName(options.stream)
  optionalFunction('subscribe', 'onGap', options.onGap)
  const { signal } = options
  if (
    signal !== undefined &&
    (typeof signal !== 'object' ||
      signal === null ||
      typeof (signal as Partial<AbortSignal>).addEventListener !== 'function')
  ) {
    throw new TypeError(
      `subscribe: \`signal\` must be an AbortSignal (such as controller.signal); got ${describe(signal)}.`,
    )
  }
  return options
}

function noop(): void {}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function'
}

// toISOString costs about as much as serializing a small event; format once per millisecond.
let lastMs = -1
let lastIso = ''
function clock(): string {
  const ms = Date.now()
  if (ms !== lastMs) {
    lastMs = ms
    lastIso = new Date(ms).toISOString()
  }
  return lastIso
}

/** The event union of a manager's catalog, for typing handlers. */
export type ManagerEvent<M extends StreamManager> =
  M extends StreamManager<infer C> ? CatalogEvent<C> : never
