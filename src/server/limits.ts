import { RunstreamError } from '../core/errors.js'
import { type Refusal, refusal } from './http-errors.js'
import type { IncomingRequest } from './prepare.js'

/**
 * Caps on the streams a handler keeps open, so that one client (or a flood of them) cannot take
 * every connection, file descriptor and heartbeat timer of the server.
 */
export interface ConnectionLimitOptions {
  /**
   * The most streams the handler serves at once, requests still being authorized included. Past
   * it, a new request gets a `503` JSON error `server_busy` with `Retry-After`.
   * @defaultValue `Infinity` (no cap)
   */
  maxConnections?: number
  /**
   * The most streams one client (see `clientKey`) may hold at once, requests still being
   * authorized included. Past it, its new requests get a `429` JSON error `too_many_connections`
   * with `Retry-After`; other clients are not affected.
   * @defaultValue `Infinity` (no cap)
   */
  maxConnectionsPerClient?: number
  /**
   * Tells which client a request comes from, for `maxConnectionsPerClient`: a user id from a
   * verified session, an API key, or an address your trusted proxy put in a header — never a
   * header the client chooses freely, or it picks a new key per request. `undefined` leaves the
   * request out of the per-client count. A throw is reported to `onError` and answered with a
   * 500.
   *
   * On `createNodeHandler` it defaults to the socket's remote address. A Fetch `Request` does not
   * carry one, so `createFetchHandler` needs `clientKey` to cap per client.
   * @example
   * ```ts
   * // Behind a proxy you trust, which sets X-Forwarded-For itself:
   * clientKey: (request) => request.headers.get('x-forwarded-for')?.split(',')[0]?.trim()
   * ```
   */
  clientKey?: (request: Request) => string | undefined | Promise<string | undefined>
}

/** {@link ConnectionLimitOptions} checked, with their defaults. */
export interface ConnectionLimits {
  readonly maxConnections: number
  readonly maxConnectionsPerClient: number
  readonly clientKey: ConnectionLimitOptions['clientKey']
}

/** A place among the open streams, held from admission until the connection is released. */
export interface Slot {
  /** Gives the place back. Safe to call more than once. */
  release(): void
}

/** Counts the places taken, in all and per client. */
export interface Limiter {
  /**
   * Takes a place for `incoming`, or says why not. `defaultKey` gives the client's key when no
   * `clientKey` hook is configured (the remote address on Node); it is called only when a
   * per-client cap is set.
   */
  admit(incoming: IncomingRequest, defaultKey: () => string | undefined): Promise<Slot | Refusal>
}

/** The slot of a limiter that caps nothing: no count to give back. */
const UNCOUNTED: Slot = { release() {} }

/** The delay a refused client is asked to wait, in seconds. */
const RETRY_AFTER_SECONDS = '5'

/**
 * Checks the limit options. `where` names the caller in messages; `hasDefaultKey` says whether
 * the handler can tell clients apart without `clientKey` (Node can, by remote address).
 */
export function resolveLimits(
  where: string,
  options: ConnectionLimitOptions,
  hasDefaultKey: boolean,
): ConnectionLimits {
  const maxConnections = cap(where, 'maxConnections', options.maxConnections)
  const maxConnectionsPerClient = cap(
    where,
    'maxConnectionsPerClient',
    options.maxConnectionsPerClient,
  )
  const { clientKey } = options
  if (clientKey !== undefined && typeof clientKey !== 'function') {
    throw new TypeError(`${where}: \`clientKey\` must be a function of the request.`)
  }
  if (maxConnectionsPerClient !== Number.POSITIVE_INFINITY && !hasDefaultKey && !clientKey) {
    throw new TypeError(
      `${where}: \`maxConnectionsPerClient\` needs \`clientKey\`: a Fetch Request does not carry the client's address. Return a user id, or the address your proxy or runtime gives you.`,
    )
  }
  return { maxConnections, maxConnectionsPerClient, clientKey }
}

/** Creates the counter of one handler. Failures of `clientKey` go to `onError`. */
export function createLimiter(
  limits: ConnectionLimits,
  onError: (error: RunstreamError) => void,
): Limiter {
  const capped = limits.maxConnectionsPerClient !== Number.POSITIVE_INFINITY
  // With no cap at all there is nothing to count: every stream shares one slot that holds nothing.
  if (!capped && limits.maxConnections === Number.POSITIVE_INFINITY) {
    return { admit: () => Promise.resolve(UNCOUNTED) }
  }
  const perClient = new Map<string, number>()
  let total = 0
  return {
    async admit(incoming, defaultKey) {
      // Checked before the key is asked for, so a flood costs no hook call once the server is full.
      if (total >= limits.maxConnections) return busy()
      let key: string | undefined
      if (capped) {
        try {
          key = limits.clientKey ? await limits.clientKey(incoming.toRequest()) : defaultKey()
        } catch (error) {
          onError(
            new RunstreamError(
              'handler_failed',
              `The clientKey hook threw: ${error instanceof Error ? error.message : String(error)}. The client got a 500; fix the hook.`,
              { cause: error, details: { hook: 'clientKey' } },
            ),
          )
          return refusal(500, 'internal_error', 'The server failed to handle this request.')
        }
      }
      return take(typeof key === 'string' ? key : undefined)
    },
  }

  function busy(): Refusal {
    return refusal(
      503,
      'server_busy',
      'The server has as many open streams as it allows. Retry later.',
      undefined,
      { 'retry-after': RETRY_AFTER_SECONDS },
    )
  }

  // Synchronous from the checks to the counts: concurrent requests cannot both take the last place.
  function take(key: string | undefined): Slot | Refusal {
    if (total >= limits.maxConnections) return busy()
    const held = key === undefined ? 0 : (perClient.get(key) ?? 0)
    if (key !== undefined && held >= limits.maxConnectionsPerClient) {
      return refusal(
        429,
        'too_many_connections',
        `This client already has ${held} open streams, the most allowed. Close one, or retry later.`,
        { limit: limits.maxConnectionsPerClient },
        { 'retry-after': RETRY_AFTER_SECONDS },
      )
    }
    total++
    if (key !== undefined) perClient.set(key, held + 1)
    let released = false
    return {
      release() {
        if (released) return
        released = true
        total--
        if (key === undefined) return
        const left = (perClient.get(key) ?? 1) - 1
        // Keys leave with their last stream, so the map is bounded by the open streams.
        if (left <= 0) perClient.delete(key)
        else perClient.set(key, left)
      },
    }
  }
}

function cap(where: string, name: string, value: number | undefined): number {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(
      `${where}: \`${name}\` must be a positive integer (or Infinity), got ${String(value)}.`,
    )
  }
  return value
}
