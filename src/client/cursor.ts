import { parseCursor } from '../core/event-id.js'

/** The resume cursor and the replay check of a subscription: see {@link createCursor}. */
export interface Cursor {
  /**
   * The id of the last event taken, qualified with the stream's epoch when the server told it
   * (`"<epoch>.<id>"`): what the next attempt sends as `Last-Event-ID`.
   */
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
  /**
   * The ids that follow start lower (a gap, a stream the server started over): accept them. On a
   * many-stream connection, `stream` says which stream's ids; one stream's cursor resets whole.
   */
  reset(stream?: string): void
  /**
   * A frame with an id and no data: the id becomes the cursor. runstream's epoch frame
   * (`<epoch>.<id>`) tells the epoch that the plain ids that follow belong to.
   */
  announce(id: string): void
}

/**
 * The cursor, and the check that drops a replayed overlap: after a reconnect a server may send
 * again events the client has (one that ignores `Last-Event-ID` sends them all). An event whose
 * id is a decimal not greater than the last one taken OF ITS STREAM is such a replay, until the
 * connection delivers something new of that stream; from then on its ids are taken as they come.
 * So:
 *
 * - one connection that carries several streams (a firehose) keeps one cursor per stream, and
 *   interleaved ids of two streams are never taken for a replay;
 * - a server that starts a stream over (ids from 1 again) on an open connection is followed, not
 *   silently dropped;
 * - non-decimal ids (a plain server's) are passed through, and sent back as the cursor;
 * - the epoch a runstream server announces (its epoch frame) qualifies the decimal ids that
 *   follow, so that a resume in a stream the server started over since is told, not skipped.
 *
 * @param initial - the `lastEventId` option: the cursor of the first connection
 */
export function createCursor(initial: string | undefined): Cursor {
  let lastEventId = initial
  // The connection now, counted, and by stream ('' for an unnamed one): the last id taken (for
  // the stream of the last event, `last` until it delivers something new on this connection,
  // then `lastEventId`) and the connection that delivered something new of it. The stream of the last event
  // is kept in variables, so a run of one stream costs no lookup.
  let connection = 0
  const byStream = new Map<string, { last: string | undefined; fresh: number }>()
  let key: string | undefined
  let last = initial
  let fresh = -1
  // The epoch the server announced, qualifying the decimal ids taken after it (on read, not per
  // event).
  let epoch: string | undefined
  // A cursor given as an option may be qualified: its epoch and its id are kept apart.
  if (initial !== undefined) announce(initial)

  return {
    get lastEventId() {
      return epoch !== undefined && isDecimal(lastEventId) ? `${epoch}.${lastEventId}` : lastEventId
    },
    opened() {
      // What the connection that ends delivered: the last id to compare the next one's with.
      if (fresh === connection) last = lastEventId
      connection++
    },
    take(id, stream) {
      const name = stream ?? ''
      if (name !== key) {
        // The first stream starts from the cursor given as an option; another from none.
        if (key !== undefined) {
          byStream.set(key, { last: fresh === connection ? lastEventId : last, fresh })
          const kept = byStream.get(name)
          last = kept?.last
          fresh = kept?.fresh ?? -1
        }
        key = name
      }
      // Only the first events of a connection are compared; after them, taking one costs one
      // assignment (whether an id is a decimal is asked only when it is compared), and the last
      // id of the stream is `lastEventId` itself: `last` is left as it was, one store fewer.
      if (fresh !== connection) {
        // Canonical decimals of one length compare as text: one string comparison.
        if (
          last !== undefined &&
          isDecimal(id) &&
          isDecimal(last) &&
          (id.length < last.length || (id.length === last.length && id <= last))
        ) {
          return false
        }
        fresh = connection
      }
      // An empty `id:` resets the cursor, as the SSE standard says.
      lastEventId = id || undefined
      return true
    },
    reset() {
      byStream.clear()
      // Nothing left to compare with: every id that follows is taken. (The cursor stays until an
      // event moves it; the next epoch frame says which incarnation those ids belong to.)
      key = last = undefined
    },
    announce,
  }

  function announce(id: string): void {
    const cursor = parseCursor(id)
    epoch = cursor?.epoch
    lastEventId = last = (cursor === undefined ? id : String(cursor.id)) || undefined
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
