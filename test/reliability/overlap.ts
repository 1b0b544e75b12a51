/**
 * How many sessions were open at once, from when each one opened and was released (on one
 * monotonic clock), rather than from a count sampled now and then: a sample misses the moments
 * between its ticks, and its ticks come late when the process is busy.
 */

/** The open intervals of sessions: `opened[i]` to `released[i]`, in ms of one monotonic clock. */
export interface Spans {
  readonly opened: readonly number[]
  readonly released: readonly number[]
}

/** What the spans say about sessions open at once. */
export interface Overlap {
  /** The most sessions open at one instant. */
  max: number
  /** Sessions open on average over the window: their summed open time divided by its length. */
  mean: number
}

/**
 * Sweeps over the sorted opens and releases, counting sessions open between them. A release at
 * the same instant as an open is taken first, so that sessions following one another back to
 * back count as one at a time.
 *
 * @param windowMs - the length of the run the spans fall in, for the mean
 */
export function overlap(spans: Spans, windowMs: number): Overlap {
  if (spans.opened.length !== spans.released.length) {
    throw new TypeError('overlap: give one release time per open time, in the same order.')
  }
  const opens = Float64Array.from(spans.opened).sort()
  const releases = Float64Array.from(spans.released).sort()
  let open = 0
  let max = 0
  let r = 0
  for (const at of opens) {
    while ((releases[r] ?? Number.POSITIVE_INFINITY) <= at) {
      open--
      r++
    }
    open++
    if (open > max) max = open
  }
  let total = 0
  for (let i = 0; i < spans.opened.length; i++) {
    total += (spans.released[i] ?? 0) - (spans.opened[i] ?? 0)
  }
  return { max, mean: windowMs > 0 ? total / windowMs : 0 }
}
