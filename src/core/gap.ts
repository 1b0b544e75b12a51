import { parseEventId } from './envelope.js'

/** What `onGap` of `subscribe()` is told: events after the cursor can no longer be sent. */
export interface GapInfo {
  /**
   * `expired`: events after the cursor were dropped by retention (a count, byte or time bound);
   * `unknown`: the store does not know the cursor (it is ahead of the stream, or the stream is gone).
   */
  reason: 'expired' | 'unknown'
  /** The cursor that was asked for. */
  lastEventId: string
  /** The oldest id the store still holds, if it holds any. */
  firstId: string | undefined
  /** The newest id of the stream, if any. */
  lastId: string | undefined
}

/**
 * Whether the cursor `lastEventId` is older than what the store holds, or unknown to it. A
 * stream that holds no event but has a newer id than the cursor lost everything after it.
 */
export function detectGap(
  lastEventId: string | undefined,
  firstId: string | undefined,
  newest: string | undefined,
): GapInfo | undefined {
  if (lastEventId === undefined || lastEventId === '0') return undefined
  const cursor = parseEventId(lastEventId) ?? 0
  const last = newest === undefined ? undefined : (parseEventId(newest) ?? 0)
  if (last === undefined || cursor > last) {
    return { reason: 'unknown', lastEventId, firstId, lastId: newest }
  }
  if (lostSince(lastEventId, firstId, newest)) {
    return { reason: 'expired', lastEventId, firstId, lastId: newest }
  }
  return undefined
}

/** Whether the store no longer holds the event right after `lastEventId`, though it existed. */
export function lostSince(
  lastEventId: string,
  firstId: string | undefined,
  newest: string | undefined,
): boolean {
  const cursor = parseEventId(lastEventId) ?? 0
  if (firstId === undefined) {
    // Nothing held: lost if the stream went past the cursor.
    return newest !== undefined && (parseEventId(newest) ?? 0) > cursor
  }
  return (parseEventId(firstId) ?? 0) > cursor + 1
}
