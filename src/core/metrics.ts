import type { EventRecord } from './envelope.js'
import { RunstreamError } from './errors.js'
import { parseEventId } from './event-id.js'
import type { GapInfo } from './gap.js'
import { createLagHistogram } from './lag-histogram.js'
import type {
  CutoffBound,
  DropReason,
  MetricsObserver,
  StoreOperation,
  StreamMetrics,
} from './metrics-types.js'

export type {
  CutoffBound,
  DropReason,
  LagMetrics,
  MetricsObserver,
  StoreOperation,
  StreamMetrics,
} from './metrics-types.js'

/**
 * The counters of one manager, incremented where things happen (the manager, its subscriptions,
 * the server's connections) and read by `manager.metrics()`. Every method is a few additions and,
 * only when observers are attached, their hooks: nothing is allocated per event.
 */
export interface MetricsRecorder {
  emitted(record: EventRecord): void
  rejected(error: RunstreamError): void
  storeFailed(operation: StoreOperation, error: unknown): void
  replayed(stream: string, count: number): void
  gap(stream: string, gap: GapInfo): void
  cutOff(stream: string, bound: CutoffBound): void
  connectionOpened(stream: string, cursor: string | undefined): void
  connectionClosed(stream: string): void
  /**
   * `count` events were written to one connection in one burst whose oldest event is `oldest`;
   * the connection opened at `openedAt` (ms since the epoch): older events are replays, whose
   * lag is not sampled.
   */
  delivered(stream: string, count: number, oldest: EventRecord, openedAt: number): void
  filtered(): void
  dropped(stream: string, count: number, reason: DropReason): void
  snapshot(): StreamMetrics
  observe(observer: MetricsObserver): () => void
}

/** What a recorder reads from its manager when a snapshot is taken. */
export interface RecorderSetup {
  /** The figures the manager knows itself: the streams it follows, its open subscriptions. */
  readonly gauges: () => { openStreams: number; openSubscriptions: number }
  /** Where a throwing observer is reported. */
  readonly report: (error: RunstreamError) => void
}

/** Creates the recorder of one manager. */
export function createMetricsRecorder(setup: RecorderSetup): MetricsRecorder {
  const lag = createLagHistogram()
  let observers: MetricsObserver[] = []
  let openConnections = 0
  let connectionsOpened = 0
  let reconnects = 0
  let eventsEmitted = 0
  let eventsRejected = 0
  let eventsDelivered = 0
  let eventsFiltered = 0
  let eventsReplayed = 0
  let eventsDropped = 0
  let gaps = 0
  let slowClientCutoffs = 0
  let storeFailures = 0
  // Every connection of a burst delivers the same record objects: its emit time is parsed once.
  let parsedRecord: EventRecord | undefined
  let parsedMs = Number.NaN

  return {
    emitted(record) {
      eventsEmitted++
      if (observers.length !== 0) notify('onEmit', record)
    },
    rejected(error) {
      eventsRejected++
      if (observers.length !== 0) notify('onReject', error)
    },
    storeFailed(operation, error) {
      storeFailures++
      if (observers.length !== 0) {
        notify('onStoreFailure', operation, error)
      }
    },
    replayed(stream, count) {
      if (count === 0) return
      eventsReplayed += count
      if (observers.length !== 0) notify('onReplay', stream, count)
    },
    gap(stream, gap) {
      gaps++
      const lost = lostCount(gap)
      eventsDropped += lost
      if (observers.length !== 0) notify('onDrop', stream, lost, 'gap')
    },
    cutOff(stream, bound) {
      slowClientCutoffs++
      if (observers.length !== 0) notify('onCutoff', stream, bound)
    },
    connectionOpened(stream, cursor) {
      openConnections++
      connectionsOpened++
      const resumed = cursor !== undefined && cursor !== '0'
      if (resumed) reconnects++
      if (observers.length !== 0) notify('onConnect', stream, resumed)
    },
    connectionClosed(stream) {
      openConnections--
      if (observers.length !== 0) notify('onDisconnect', stream)
    },
    delivered(stream, count, oldest, openedAt) {
      eventsDelivered += count
      if (oldest !== parsedRecord) {
        parsedRecord = oldest
        parsedMs = Date.parse(oldest.envelope.ts)
      }
      // One clock read per burst per connection; a replayed burst (or an unreadable ts) is skipped.
      let sample = Number.NaN
      if (parsedMs >= openedAt) {
        sample = Date.now() - parsedMs
        lag.add(sample)
      }
      if (observers.length === 0) return
      notify('onDeliver', stream, count)
      if (!Number.isNaN(sample)) notify('onLag', Math.max(sample, 0))
    },
    filtered() {
      eventsFiltered++
    },
    dropped(stream, count, reason) {
      eventsDropped += count
      if (observers.length !== 0) notify('onDrop', stream, count, reason)
    },
    snapshot() {
      const { openStreams, openSubscriptions } = setup.gauges()
      return {
        openStreams,
        openSubscriptions,
        openConnections,
        connectionsOpened,
        reconnects,
        eventsEmitted,
        eventsRejected,
        eventsDelivered,
        eventsFiltered,
        eventsReplayed,
        eventsDropped,
        gaps,
        slowClientCutoffs,
        storeFailures,
        lag: lag.snapshot(),
      }
    },
    observe(observer) {
      if (typeof observer !== 'object' || observer === null) {
        throw new TypeError(
          'observe: pass an object of hooks, such as { onDeliver(stream, count) { … } }.',
        )
      }
      for (const [key, value] of Object.entries(observer)) {
        if (!HOOKS.has(key) || typeof value !== 'function') {
          throw new TypeError(
            `observe: \`${key}\` is not a metrics hook (a function among ${[...HOOKS].join(', ')}).`,
          )
        }
      }
      // A fresh array each time: a hook that unsubscribes while being called stops nothing else.
      observers = [...observers, observer]
      return () => {
        observers = observers.filter((o) => o !== observer)
      }
    },
  }

  // Arguments are passed as they are, with no closure or array per call: a hook on the hot path
  // costs its own call and nothing more.
  function notify(hook: keyof MetricsObserver, a?: unknown, b?: unknown, c?: unknown): void {
    for (const observer of observers) {
      const fn = observer[hook] as ((a: unknown, b: unknown, c: unknown) => void) | undefined
      if (fn === undefined) continue
      try {
        fn.call(observer, a, b, c)
      } catch (error) {
        setup.report(
          new RunstreamError(
            'handler_failed',
            `The metrics hook ${hook} threw: ${error instanceof Error ? error.message : String(error)}. Hooks must not throw; the others were still called.`,
            { cause: error, details: { hook } },
          ),
        )
      }
    }
  }
}

const HOOKS: ReadonlySet<string> = new Set([
  'onEmit',
  'onReject',
  'onConnect',
  'onDisconnect',
  'onDeliver',
  'onReplay',
  'onDrop',
  'onCutoff',
  'onStoreFailure',
  'onLag',
])

/** How many events a gap lost, when the store said: 0 when it cannot be told. */
function lostCount(gap: GapInfo): number {
  if (gap.reason !== 'expired') return 0
  const after = parseEventId(gap.lastEventId.slice(gap.lastEventId.lastIndexOf('.') + 1)) ?? 0
  const first = gap.firstId === undefined ? undefined : parseEventId(gap.firstId)
  if (first !== undefined) return Math.max(0, first - after - 1)
  const last = gap.lastId === undefined ? undefined : parseEventId(gap.lastId)
  return last === undefined ? 0 : Math.max(0, last - after)
}

// The recorders of the managers made by createStreamManager, for the server handlers that are
// given a manager: a manager of your own (a wrapper, a fake) is measured by no one.
const recorders = new WeakMap<object, MetricsRecorder>()
const detached = createMetricsRecorder({
  gauges: () => ({ openStreams: 0, openSubscriptions: 0 }),
  report: () => undefined,
})

/** Ties `recorder` to the manager it counts for. */
export function registerRecorder(manager: object, recorder: MetricsRecorder): void {
  recorders.set(manager, recorder)
}

/**
 * The recorder of `manager`; for a manager that `createStreamManager` did not make, one whose
 * counts nobody reads.
 */
export function metricsOf(manager: object): MetricsRecorder {
  return recorders.get(manager) ?? detached
}
