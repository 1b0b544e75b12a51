import type { RunstreamError } from '../core/errors.js'
import type {
  ConnectionLimitOptions,
  CorsOptions,
  HandlerOptions,
  RunStart,
  SseFraming,
  SseOptions,
  SseProtocol,
  SseTransportOptions,
} from './options.js'
import { normalizeBasePath } from './routes.js'
import { type ResolvedRunOptions, resolveRunOptions } from './run-options.js'
import { createTicker, type Ticker } from './ticker.js'

/** {@link SseOptions} with every default applied and checked. */
export interface ResolvedSseOptions {
  readonly framing: SseFraming
  readonly protocol: SseProtocol
  readonly heartbeatMs: number
  /** The one heartbeat timer of the handler's connections, ticking every `heartbeatMs`. */
  readonly heartbeat: Ticker
  readonly retryMs: number
  readonly maxQueuedBytes: number
  readonly authorize: SseOptions['authorize']
  readonly streamExists: SseOptions['streamExists']
  readonly cors: CorsOptions | undefined
  /** Never throws, whatever the reporter given does. */
  readonly onError: (error: RunstreamError) => void
}

/** {@link ConnectionLimitOptions} checked, with their defaults. */
export interface ConnectionLimits {
  readonly maxConnections: number
  readonly maxConnectionsPerClient: number
  readonly clientKey: ConnectionLimitOptions['clientKey']
}

/** {@link HandlerOptions} with every default applied and checked. */
export interface ResolvedHandlerOptions extends ResolvedSseOptions {
  readonly basePath: string
  readonly limits: ConnectionLimits
  /** The run starter of `POST {basePath}/executions/{kind}s`; none: no such route. */
  readonly start: ((run: RunStart) => unknown) | undefined
  /** Whether `POST …/:id/cancel` is served. */
  readonly cancelRoute: boolean
  readonly runs: ResolvedRunOptions
  /** The most streams one request to `{basePath}/streams` may list. */
  readonly maxStreamsPerConnection: number
}

/** The default of `maxStreamsPerConnection`. */
export const DEFAULT_MAX_STREAMS_PER_CONNECTION = 32

/** The default of `maxConnections`: what a small server holds (see the option's TSDoc). */
export const DEFAULT_MAX_CONNECTIONS = 10_000

// The longest delay a timer takes: past it Node and browsers fire at once, every millisecond.
const MAX_TIMER_MS = 2_147_483_647

// Options renamed before 1.0: passing the old name is an error that names the new one.
const RENAMED: Readonly<Record<string, string>> = {
  maxBufferedBytes: 'maxQueuedBytes',
}

const FRAMINGS: readonly SseFraming[] = ['payload', 'envelope']

/**
 * Applies the defaults and refuses bad values with a `TypeError` saying how to fix them.
 * `where` names the caller in messages; `fallbackOnError` receives failures when `onError` is
 * not given (the manager's reporter, or `console.error` where there is no manager).
 */
export function resolveSseOptions(
  where: string,
  options: SseOptions | undefined,
  fallbackOnError: (error: RunstreamError) => void = defaultOnError,
): ResolvedSseOptions {
  const given = checkObject(where, options)
  refuseRenamed(where, given)
  const onError = checkFunction(where, 'onError', given.onError) ?? fallbackOnError
  const cors = given.cors
  if (cors !== undefined) checkCors(where, cors)
  const heartbeatMs = timerMs(where, 'heartbeatMs', given.heartbeatMs ?? 15_000)
  const framing = checkFraming(where, given.framing)
  return {
    framing,
    protocol: checkProtocol(where, given.protocol, framing),
    heartbeatMs,
    heartbeat: createTicker(heartbeatMs),
    retryMs: nonNegativeInteger(where, 'retryMs', given.retryMs ?? 2_000),
    maxQueuedBytes: positiveInteger(where, 'maxQueuedBytes', given.maxQueuedBytes ?? 1_048_576),
    authorize: checkFunction(where, 'authorize', given.authorize),
    streamExists: checkFunction(where, 'streamExists', given.streamExists),
    cors,
    onError(error) {
      try {
        onError(error)
      } catch {
        // onError must not throw; a failing reporter must not take the stream down with it.
      }
    },
  }
}

/**
 * Resolves the options of a stream handler: the {@link SseOptions}, `basePath` and the caps.
 * `hasDefaultKey` says whether the handler can tell clients apart without `clientKey` (Node
 * can, by remote address).
 */
export function resolveHandlerOptions(
  where: string,
  options: HandlerOptions | undefined,
  fallbackOnError: (error: RunstreamError) => void,
  hasDefaultKey: boolean,
): ResolvedHandlerOptions {
  const resolved = resolveSseOptions(where, options, fallbackOnError)
  const given = options ?? {}
  const start = checkFunction(where, 'start', given.start) as ResolvedHandlerOptions['start']
  const cancelRoute = given.cancelRoute ?? start !== undefined
  if (typeof cancelRoute !== 'boolean') {
    throw new TypeError(
      `${where}: \`cancelRoute\` must be true or false, got ${describe(cancelRoute)}.`,
    )
  }
  return {
    ...resolved,
    basePath: normalizeBasePath(given.basePath ?? '/api/v0', where),
    limits: resolveLimits(where, given, hasDefaultKey),
    start,
    cancelRoute,
    runs: resolveRunOptions(where, given),
    maxStreamsPerConnection: positiveInteger(
      where,
      'maxStreamsPerConnection',
      given.maxStreamsPerConnection ?? DEFAULT_MAX_STREAMS_PER_CONNECTION,
    ),
  }
}

/** Resolves the options of `sseTransport`, which has no manager to report to. */
export function resolveTransportOptions(
  options: SseTransportOptions | undefined,
): ResolvedSseOptions & { readonly filter: SseTransportOptions['filter'] } {
  const where = 'sseTransport'
  const given = checkObject(where, options)
  refuseRenamed(where, given)
  const { filter, ...rest } = given
  return {
    ...resolveSseOptions(where, rest),
    filter: checkFunction(where, 'filter', filter),
  }
}

function resolveLimits(
  where: string,
  options: ConnectionLimitOptions,
  hasDefaultKey: boolean,
): ConnectionLimits {
  const maxConnections = cap(
    where,
    'maxConnections',
    options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
  )
  const maxConnectionsPerClient = cap(
    where,
    'maxConnectionsPerClient',
    options.maxConnectionsPerClient ?? Number.POSITIVE_INFINITY,
  )
  const clientKey = checkFunction(where, 'clientKey', options.clientKey)
  if (maxConnectionsPerClient !== Number.POSITIVE_INFINITY && !hasDefaultKey && !clientKey) {
    throw new TypeError(
      `${where}: \`maxConnectionsPerClient\` needs \`clientKey\`: a Fetch Request does not carry the client's address. Return a user id, or the address your proxy or runtime gives you.`,
    )
  }
  return { maxConnections, maxConnectionsPerClient, clientKey }
}

function checkObject<T extends object>(where: string, options: T | undefined): Partial<T> {
  if (options === undefined) return {}
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(
      `${where}: options must be an object such as { heartbeatMs: 15_000 }, got ${describe(options)}.`,
    )
  }
  return options
}

function refuseRenamed(where: string, options: object): void {
  for (const [old, name] of Object.entries(RENAMED)) {
    if (old in options) {
      throw new TypeError(`${where}: \`${old}\` was renamed \`${name}\`; pass \`${name}\` instead.`)
    }
  }
}

function checkFraming(where: string, framing: unknown): SseFraming {
  if (framing === undefined) return 'payload'
  if (!FRAMINGS.includes(framing as SseFraming)) {
    throw new TypeError(
      `${where}: \`framing\` must be 'payload' (the payload alone in data:, the default) or 'envelope' (the whole envelope), got ${describe(framing)}.`,
    )
  }
  return framing as SseFraming
}

const PROTOCOLS: readonly SseProtocol[] = ['runstream', 'ag-ui', 'ai-sdk']

function checkProtocol(where: string, protocol: unknown, framing: SseFraming): SseProtocol {
  if (protocol === undefined) return 'runstream'
  if (!PROTOCOLS.includes(protocol as SseProtocol)) {
    throw new TypeError(
      `${where}: \`protocol\` must be 'runstream' (the default), 'ag-ui' or 'ai-sdk', got ${describe(protocol)}.`,
    )
  }
  if (protocol !== 'runstream' && framing !== 'payload') {
    throw new TypeError(
      `${where}: \`protocol: '${String(protocol)}'\` needs \`framing: 'payload'\`: its clients read the event itself in data:, not runstream's envelope. Leave \`framing\` out.`,
    )
  }
  return protocol as SseProtocol
}

function checkCors(where: string, cors: CorsOptions): void {
  if (typeof cors !== 'object' || cors === null) {
    throw new TypeError(
      `${where}: \`cors\` must be an object such as { origin: 'https://app.example.com' }, got ${describe(cors)}.`,
    )
  }
  const { origin } = cors
  const valid =
    typeof origin === 'string' ||
    typeof origin === 'function' ||
    (Array.isArray(origin) && origin.every((o) => typeof o === 'string'))
  if (!valid) {
    throw new TypeError(
      `${where}: \`cors.origin\` must be an origin string, a list of them or a function of the request's Origin.`,
    )
  }
  if (cors.credentials !== undefined && typeof cors.credentials !== 'boolean') {
    throw new TypeError(
      `${where}: \`cors.credentials\` must be true or false, got ${describe(cors.credentials)}.`,
    )
  }
  if (origin === '*' && cors.credentials === true) {
    throw new TypeError(
      `${where}: \`cors.credentials\` cannot be used with \`origin: '*'\`: browsers refuse it. List the allowed origins instead.`,
    )
  }
  const { allowHeaders } = cors
  if (
    allowHeaders !== undefined &&
    !(Array.isArray(allowHeaders) && allowHeaders.every((h) => HEADER_NAME.test(String(h))))
  ) {
    throw new TypeError(
      `${where}: \`cors.allowHeaders\` must be a list of header names such as ['x-request-id'], got ${describe(allowHeaders)}.`,
    )
  }
  if (cors.maxAgeSeconds !== undefined) {
    nonNegativeInteger(where, 'cors.maxAgeSeconds', cors.maxAgeSeconds)
  }
}

// An HTTP header name (RFC 9110 token).
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

function timerMs(where: string, name: string, value: number): number {
  positiveInteger(where, name, value)
  if (value > MAX_TIMER_MS) {
    throw new TypeError(
      `${where}: \`${name}\` must be at most ${MAX_TIMER_MS} (about 24 days): a longer timer fires at once, every millisecond. Got ${value}.`,
    )
  }
  return value
}

function positiveInteger(where: string, name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${where}: \`${name}\` must be a positive integer, got ${describe(value)}.`)
  }
  return value
}

function nonNegativeInteger(where: string, name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(
      `${where}: \`${name}\` must be a non-negative integer, got ${describe(value)}.`,
    )
  }
  return value
}

function cap(where: string, name: string, value: number): number {
  if (value === Number.POSITIVE_INFINITY) return value
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(
      `${where}: \`${name}\` must be a positive integer (or Infinity for no cap), got ${describe(value)}.`,
    )
  }
  return value
}

function checkFunction<F>(where: string, name: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${where}: \`${name}\` must be a function, got ${describe(value)}.`)
  }
  return value
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40))
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return 'an array'
  if (value === null) return 'null'
  if (typeof value === 'object') return 'an object'
  return String(value)
}

function defaultOnError(error: RunstreamError): void {
  console.error(`[runstream/server] ${error.code}: ${error.message}`)
}
