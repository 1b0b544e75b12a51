import { RunstreamError } from '../core/errors.js'
import { type Refusal, refusal } from './http-errors.js'
import type { IncomingRequest } from './incoming.js'
import type { ConnectionLimits } from './settings.js'

/** A place among the open streams, held from admission until the connection is released. */
export interface Slot {
  /**
   * Gives the place back. Call it exactly once: a slot counted in total only is one object shared
   * by every stream, so that an idle stream costs no slot of its own.
   */
  release(): void
}

/** Counts the places taken, in all and per client. */
export interface Limiter {
  /**
   * Takes a place for `incoming`, or says why not. Without a `clientKey` hook, the client's key
   * is its address when the edge knows it (Node); it is asked for only when a per-client cap is
   * set.
   */
  admit(incoming: IncomingRequest): Promise<Slot | Refusal>
}

/** The slot of a limiter that caps nothing: no count to give back. */
const UNCOUNTED: Slot = { release() {} }

/** The delay a refused client is asked to wait, in seconds. */
const RETRY_AFTER_SECONDS = '5'

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
  const counted: Slot = {
    release() {
      total--
    },
  }
  return {
    async admit(incoming) {
      // Checked before the key is asked for, so a flood costs no hook call once the server is full.
      if (total >= limits.maxConnections) return busy()
      let key: string | undefined
      if (capped) {
        try {
          key = limits.clientKey
            ? await limits.clientKey(incoming.toRequest())
            : incoming.clientAddress()
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
    if (key === undefined) return counted
    perClient.set(key, held + 1)
    let released = false
    return {
      release() {
        if (released) return
        released = true
        total--
        const left = (perClient.get(key) ?? 1) - 1
        // Keys leave with their last stream, so the map is bounded by the open streams.
        if (left <= 0) perClient.delete(key)
        else perClient.set(key, left)
      },
    }
  }
}
