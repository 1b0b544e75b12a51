import {
  FINISHED_POSITION,
  formatCompositeCursor,
  parseCompositeCursor,
} from '../core/composite-cursor.js'
import { type Cursor, createCursor } from './cursor.js'

/** The cursors of a many-stream subscription: see {@link createManyCursor}. */
export interface ManyCursor extends Cursor {
  /** The composite cursor of `streams`: a position per stream, in that order. */
  composite(streams: readonly string[]): string
  /** The cursor of one stream (`undefined`: nothing received yet), `'~'` once it finished. */
  position(stream: string): string | undefined
  /**
   * The list the next request sends (its composite is `lastEventId`, and the server's composite
   * ids are read in its order). A stream new to the list starts with no cursor.
   */
  use(streams: readonly string[]): void
  /** Marks `stream` finished (its terminal event arrived); returns whether every stream of the list is. */
  finish(stream: string): boolean
}

/**
 * One {@link createCursor} per stream, so that each keeps its own replay check and epoch, joined
 * into the composite cursor that a many-stream request sends as `Last-Event-ID`. The server's
 * `id:`-only frames (a composite with a position qualified by its epoch) tell each stream's epoch;
 * the ids of events are read from their envelopes.
 *
 * @param initial - a composite cursor of `streams` to resume after (`lastEventId` option)
 */
export function createManyCursor(streams: readonly string[], initial?: string): ManyCursor {
  const byStream = new Map<string, Cursor>()
  const finished = new Set<string>()
  let list: readonly string[] = []
  const cursor: ManyCursor = {
    get lastEventId() {
      return cursor.composite(list)
    },
    composite: (of) => formatCompositeCursor(of.map((stream) => cursor.position(stream) ?? '')),
    position: (stream) =>
      finished.has(stream) ? FINISHED_POSITION : byStream.get(stream)?.lastEventId,
    use(streams) {
      list = streams
      for (const stream of streams) {
        if (!byStream.has(stream)) byStream.set(stream, createCursor(undefined))
      }
    },
    finish(stream) {
      finished.add(stream)
      return list.every((name) => finished.has(name))
    },
    opened() {
      for (const one of byStream.values()) one.opened()
    },
    take: (id, stream) => byStream.get(stream as string)?.take(id, stream) ?? false,
    reset(stream) {
      if (stream === undefined) for (const one of byStream.values()) one.reset()
      else byStream.get(stream)?.reset()
    },
    announce(id) {
      parseCompositeCursor(id, list.length)?.forEach((position, i) => {
        const stream = list[i] as string
        if (position === FINISHED_POSITION) finished.add(stream)
        // A qualified position is the epoch frame of its stream; plain ones repeat what it has.
        else if (position.includes('.')) byStream.get(stream)?.announce(position)
      })
    },
  }
  cursor.use(streams)
  if (initial !== undefined) {
    const positions = parseCompositeCursor(initial, streams.length)
    if (positions === undefined) {
      throw new TypeError(
        `subscribeMany: lastEventId must be a subscription's lastEventId, for the same ${streams.length} streams in the same order.`,
      )
    }
    positions.forEach((position, i) => {
      const stream = streams[i] as string
      if (position === FINISHED_POSITION) finished.add(stream)
      else if (position !== '') byStream.get(stream)?.announce(position)
    })
  }
  return cursor
}
