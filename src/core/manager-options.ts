import type { AnyCatalog } from './catalog.js'
import {
  describe,
  optionalBoolean,
  optionalFunction,
  optionsObject,
  positiveInteger,
  refuseRenamed,
} from './check.js'
import type { RunstreamError } from './errors.js'
import { memoryStore } from './memory-store.js'
import type { EventStore } from './store.js'
import type { Transport } from './transport.js'

/** Options of `createStreamManager`. */
export interface StreamManagerOptions<C extends AnyCatalog> {
  /** The event catalog, made with `defineCatalog()`: it types `emit()` and validates every event. */
  catalog: C
  /**
   * Where every event is also sent (stdout, logs, …). Live subscribers do not need one.
   * @defaultValue `[]`
   */
  transports?: readonly Transport[]
  /**
   * Where events are kept for replay and how they reach subscribers. The manager owns it:
   * `manager.close()` closes it.
   * @defaultValue `memoryStore()`
   */
  store?: EventStore
  /**
   * Validate each payload against its schema before it is sent. When off, unknown types and
   * invalid payloads are sent as they are.
   * @defaultValue true
   */
  validate?: boolean
  /**
   * Receives every failure that `emit` does not throw: invalid events, transport and store
   * failures, emits after the end of a stream. Never let it throw; if it does, the error is ignored.
   * @defaultValue logs one line with `console.error`
   */
  onError?: (error: RunstreamError) => void
  /**
   * The largest envelope, in bytes of UTF-8 JSON, that `emit` accepts. Larger ones are reported as
   * `event_too_large` and not sent.
   * @defaultValue 1_048_576 (1 MiB)
   */
  maxEventBytes?: number
  /**
   * How many events may wait for one subscriber before it is ended with `subscriber_overflow`.
   * `subscribe()` may set its own.
   * @defaultValue 10_000
   */
  maxQueuedEvents?: number
  /**
   * How long a cancelled run's producer has to end its stream, in milliseconds. Past it, if the
   * stream has not received its terminal event, runstream emits the catalog's cancellation event
   * for it (for the execution catalog: `error` with status `CANCELED`), from the process that
   * called `cancelRun` and from the one running the producer, so a run whose producer died ends
   * too. `0` ends it at once.
   * @defaultValue 5_000
   */
  cancelGraceMs?: number
}

/** The options of a manager once checked, with their defaults. */
export interface ResolvedManagerOptions<C extends AnyCatalog> {
  readonly catalog: C
  readonly transports: readonly Transport[]
  readonly store: EventStore
  readonly validate: boolean
  readonly onError: (error: RunstreamError) => void
  readonly maxEventBytes: number
  readonly maxQueuedEvents: number
  readonly cancelGraceMs: number
}

const WHERE = 'createStreamManager'

/** Checks every option of `createStreamManager` and fills in the defaults. */
export function resolveManagerOptions<C extends AnyCatalog>(
  given: StreamManagerOptions<C>,
): ResolvedManagerOptions<C> {
  const options = optionsObject(WHERE, given)
  refuseRenamed(WHERE, options, { maxSubscriberQueue: 'maxQueuedEvents' })
  return {
    catalog: checkCatalog(options.catalog),
    transports: checkTransports(options.transports),
    store: options.store === undefined ? memoryStore() : checkStore(options.store),
    validate: optionalBoolean(WHERE, 'validate', options.validate, true),
    onError: optionalFunction(WHERE, 'onError', options.onError) ?? defaultOnError,
    maxEventBytes: positiveInteger(
      WHERE,
      'maxEventBytes',
      options.maxEventBytes,
      1_048_576,
      'bytes',
      '1_048_576 (1 MiB)',
    ),
    maxQueuedEvents: positiveInteger(
      WHERE,
      'maxQueuedEvents',
      options.maxQueuedEvents,
      10_000,
      'events',
      '10_000',
    ),
    cancelGraceMs: graceMs(options.cancelGraceMs),
  }
}

// The longest delay a timer takes: past it, timers fire at once.
const MAX_TIMER_MS = 2_147_483_647

function graceMs(value: unknown): number {
  if (value === undefined) return 5_000
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < 0 ||
    value > MAX_TIMER_MS
  ) {
    throw new TypeError(
      `${WHERE}: \`cancelGraceMs\` must be a whole number of milliseconds from 0 to ${MAX_TIMER_MS}, such as 5_000; got ${describe(value)}.`,
    )
  }
  return value
}

function checkCatalog<C extends AnyCatalog>(catalog: C): C {
  const value = catalog as unknown
  if (value === undefined) {
    throw new TypeError(`${WHERE}: \`catalog\` is required. Pass one made with defineCatalog().`)
  }
  const c = value as Partial<Record<keyof AnyCatalog, unknown>> | null
  const ok =
    typeof c === 'object' &&
    c !== null &&
    typeof c.validate === 'function' &&
    typeof c.isTerminal === 'function' &&
    typeof c.has === 'function' &&
    Array.isArray(c.names) &&
    Array.isArray(c.terminal) &&
    typeof c.schemas === 'object' &&
    c.schemas !== null
  if (ok) return catalog
  const schemas =
    typeof c === 'object' &&
    c !== null &&
    Object.values(c).length > 0 &&
    Object.values(c).every((v) => typeof v === 'object' && v !== null && '_zod' in v)
  throw new TypeError(
    schemas
      ? `${WHERE}: \`catalog\` is a map of zod schemas, not a catalog. Wrap it: catalog: defineCatalog({ … }, { terminal: [...] }).`
      : `${WHERE}: \`catalog\` must be a catalog made with defineCatalog() or mergeCatalogs(); got ${describe(value)} without its methods.`,
  )
}

function checkStore(store: EventStore): EventStore {
  const s = store as Partial<Record<keyof EventStore, unknown>> | null
  if (
    typeof s !== 'object' ||
    s === null ||
    typeof s.append !== 'function' ||
    typeof s.read !== 'function' ||
    typeof s.listen !== 'function' ||
    (s.close !== undefined && typeof s.close !== 'function')
  ) {
    throw new TypeError(
      `${WHERE}: \`store\` must be an event store with append(), read() and listen() (such as memoryStore() or redisStore()); got ${describe(store)}.`,
    )
  }
  return store
}

function checkTransports(transports: readonly Transport[] | undefined): Transport[] {
  if (transports === undefined) return []
  if (!Array.isArray(transports)) {
    throw new TypeError(
      `${WHERE}: \`transports\` must be an array of transports, such as [stdoutTransport()]; got ${describe(transports)}.`,
    )
  }
  transports.forEach((transport: unknown, index) => {
    const t = transport as Partial<Record<keyof Transport, unknown>> | null
    if (
      typeof t !== 'object' ||
      t === null ||
      typeof t.name !== 'string' ||
      typeof t.send !== 'function' ||
      (t.close !== undefined && typeof t.close !== 'function')
    ) {
      throw new TypeError(
        `${WHERE}: \`transports[${index}]\` must be a transport: an object with a \`name\` string and a \`send(record)\` function; got ${describe(transport)}.`,
      )
    }
  })
  return [...transports]
}

function defaultOnError(error: RunstreamError): void {
  console.error(`[runstream] ${error.code}: ${error.message}`)
}
