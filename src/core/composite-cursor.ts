import { parseCursor } from './event-id.js'

/**
 * The composite cursor of a many-stream connection (`{basePath}/streams`): ONE string that holds
 * every stream's position, so that a standard `Last-Event-ID` resumes them all. Shared by the
 * server, which writes it as the `id:` of every event frame, and the client, which sends it back.
 *
 * ```
 * composite = position *( "," position )   ; one per stream, in the order of the request's list
 * position  = "" / cursor / "~"             ; nothing received yet / a cursor / finished
 * ```
 *
 * A `cursor` is the single-stream grammar (`"1042"` or `"<epoch>.1042"`); no cursor holds a
 * comma or a tilde, so the list splits without escapes.
 *
 * @see docs/wire-format.md#many-streams-on-one-connection
 */

/** The position of a stream that sent its terminal event: nothing more is read for it. */
export const FINISHED_POSITION = '~'

/**
 * Splits a composite cursor into its positions, checking each: `""`, `"~"` or a cursor.
 * Returns `undefined` when the text is not a composite of exactly `count` positions.
 */
export function parseCompositeCursor(text: string, count: number): string[] | undefined {
  const positions = text.split(',')
  if (positions.length !== count) return undefined
  for (const position of positions) {
    if (position !== '' && position !== FINISHED_POSITION && parseCursor(position) === undefined) {
      return undefined
    }
  }
  return positions
}

/** Joins positions (`""`, `"~"` or cursors), in the request's order, into a composite cursor. */
export function formatCompositeCursor(positions: readonly string[]): string {
  return positions.join(',')
}
