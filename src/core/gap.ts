import { formatCursor, parseCursor, parseEventId } from './event-id.js'
import type { ReadResult } from './store.js'

/**
 * What `onGap` of `subscribe()` is told: events after the cursor can no longer be sent, or the
 * stream started over since it.
 */
export interface GapInfo {
  /**
   * - `expired`: events after the cursor were dropped by retention (a count, byte or time bound);
   * - `unknown`: the store does not know the cursor (it is ahead of the stream, or the stream is
   *   gone);
   * - `restarted`: the store forgot the stream and started it over at id 1, in a new epoch, since
   *   the cursor (idle or finished TTL, `maxStreams`, a Redis restarted empty), or lost events it
   *   had given ids to (a Redis failover to a replica that lacked them: the new epoch holds the
   *   events kept). What was built from the earlier incarnation is void; the new one follows from
   *   its oldest held event.
   */
  reason: 'expired' | 'unknown' | 'restarted'
  /** The cursor that was asked for. */
  lastEventId: string
  /** The oldest id the store still holds, if it holds any (of the current incarnation). */
  firstId: string | undefined
  /** The newest id of the stream, if any (of the current incarnation). */
  lastId: string | undefined
}

/**
 * Whether the cursor `lastEventId` is older than what the store holds, unknown to it, or of an
 * earlier incarnation of the stream, judged on the first page a read returned for it. A stream
 * that holds no event but has a newer id than the cursor lost everything after it.
 */
export function detectGap(
  lastEventId: string | undefined,
  page: Pick<ReadResult, 'firstId' | 'lastId' | 'epoch'>,
): GapInfo | undefined {
  if (lastEventId === undefined) return undefined
  const cursor = parseCursor(lastEventId)
  const { firstId, lastId, epoch } = page
  if (cursor?.epoch !== undefined && epoch !== undefined && cursor.epoch !== epoch) {
    return { reason: 'restarted', lastEventId, firstId, lastId }
  }
  const after = cursor?.id ?? 0
  if (after === 0) return undefined
  const last = lastId === undefined ? undefined : (parseEventId(lastId) ?? 0)
  if (last === undefined || after > last) {
    return { reason: 'unknown', lastEventId, firstId, lastId }
  }
  if (lostSince(after, firstId, lastId)) {
    return { reason: 'expired', lastEventId, firstId, lastId }
  }
  return undefined
}

/** Whether the store no longer holds the event right after id `after`, though it existed. */
export function lostSince(
  after: number,
  firstId: string | undefined,
  newest: string | undefined,
): boolean {
  if (firstId === undefined) {
    // Nothing held: lost if the stream went past the cursor.
    return newest !== undefined && (parseEventId(newest) ?? 0) > after
  }
  return (parseEventId(firstId) ?? 0) > after + 1
}

/** The cursor after event `id` of incarnation `epoch`; `"<epoch>.0"` before its first event. */
export function cursorOf(epoch: string | undefined, id: string | undefined): string | undefined {
  if (id === undefined) return epoch === undefined ? undefined : formatCursor(epoch, '0')
  return formatCursor(epoch, id)
}

/** Why a gap's cursor cannot be resumed, for error messages: "Cursor … <this>". */
export function describeGap(gap: GapInfo): string {
  if (gap.reason === 'restarted') {
    return `is of an earlier incarnation of the stream (the store forgot it, or lost events it had given ids to, and began a new one; it now holds ${gap.firstId ?? 'nothing'} to ${gap.lastId ?? 'nothing'})`
  }
  if (gap.reason === 'expired') {
    return `is older than the oldest event still held (${gap.firstId === undefined ? 'none is held' : `"${gap.firstId}"`})`
  }
  return 'is unknown to the store'
}
