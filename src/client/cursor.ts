/** The resume cursor and the replay check of a subscription: see {@link createCursor}. */
export interface Cursor {
  /** The id of the last event taken: what the next attempt sends as `Last-Event-ID`. */
  readonly lastEventId: string | undefined
  /** A new connection begins: what it sends first may be a replay. */
  opened(): void
  /**
   * Whether an event is new, and then it moves the cursor; `false` for the replay of an event
   * already taken.
   *
   * @param stream - the stream the event belongs to, when known (envelope framing says it)
   */
  take(id: string, stream: string | undefined): boolean
  /** The ids that follow start lower (a gap, a stream the server started over): accept them. */
  reset(): void
}

/**
 * The cursor, and the check that drops a replayed overlap: after a reconnect a server may send
 * again events the client has (one that ignores `Last-Event-ID` sends them all). An event whose
 * id is a decimal not greater than the last one taken OF ITS STREAM is such a replay, while the
 * connection has delivered nothing new; once it has, its ids are taken as they come. So:
 *
 * - one connection that carries several streams (a firehose) keeps one cursor per stream, and
 *   interleaved ids of two streams are never taken for a replay;
 * - a server that starts a stream over (ids from 1 again) on an open connection is followed, not
 *   silently dropped;
 * - non-decimal ids (a plain server's) are passed through, and sent back as the cursor.
 *
 * @param initial - the `lastEventId` option: the cursor of the first connection
 */
export function createCursor(initial: string | undefined): Cursor {
  let lastEventId = initial
  // The last decimal id taken, by stream ('' for an unnamed one). The stream of the last event
  // is kept outside the map, so a run of one stream costs no lookup.
  const byStream = new Map<string, string>()
  let key: string | undefined
  let last = isDecimal(initial) ? initial : undefined
  // Whether this connection has delivered an event the client had not seen.
  let fresh = false

  return {
    get lastEventId() {
      return lastEventId
    },
    opened() {
      fresh = false
    },
    take(id, stream) {
      const name = stream ?? ''
      if (name !== key) {
        // The first stream takes the cursor given as an option; another starts with none.
        if (key !== undefined) {
          if (last === undefined) byStream.delete(key)
          else byStream.set(key, last)
          last = byStream.get(name)
        }
        key = name
      }
      const decimal = isDecimal(id)
      // Canonical decimals of one length compare as text: one string comparison.
      if (
        !fresh &&
        decimal &&
        last !== undefined &&
        (id.length < last.length || (id.length === last.length && id <= last))
      ) {
        return false
      }
      fresh = true
      // An empty `id:` resets the cursor, as the SSE standard says.
      lastEventId = id || undefined
      last = decimal ? id : undefined
      return true
    },
    reset() {
      byStream.clear()
      last = undefined
      fresh = true
    },
  }
}

// Whether `id` is a canonical decimal id (`0`, `1`, … up to 16 digits), as the server's
// `parseEventId` accepts, without its regex and number: this runs for every event.
function isDecimal(id: string | undefined): id is string {
  const length = id?.length ?? 0
  if (length === 0 || length > 16 || (length > 1 && id?.charCodeAt(0) === 48)) return false
  for (let i = 0; i < length; i++) {
    const c = (id as string).charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}
