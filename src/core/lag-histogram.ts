import type { LagMetrics } from './metrics-types.js'

/** The buckets' upper bounds, in ms: from "as fast as the clock tells" to "something is stuck". */
export const LAG_BOUNDS_MS: readonly number[] = Object.freeze([
  0, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000,
])

/** A fixed-bucket histogram of lag samples: no allocation per sample. */
export interface LagHistogram {
  /** Counts one sample, in ms (a negative one as 0). */
  add(ms: number): void
  /** The figures so far, as a fresh plain object. */
  snapshot(): LagMetrics
}

/** Creates an empty histogram over {@link LAG_BOUNDS_MS}. */
export function createLagHistogram(): LagHistogram {
  // Typed arrays: a frozen array's keyed loads stay on V8's slow path, about 1000 instructions
  // per sample under callgrind against a few dozen here.
  const bounds = Float64Array.from(LAG_BOUNDS_MS)
  const counts = new Float64Array(bounds.length + 1)
  let count = 0
  let sumMs = 0
  let maxMs = 0
  return {
    add(ms) {
      const value = Math.max(ms, 0)
      let bucket = 0
      while (bucket < bounds.length && value > (bounds[bucket] as number)) bucket++
      counts[bucket] = (counts[bucket] as number) + 1
      count++
      sumMs += value
      if (value > maxMs) maxMs = value
    },
    snapshot() {
      return {
        count,
        sumMs,
        maxMs,
        p50Ms: quantile(0.5),
        p90Ms: quantile(0.9),
        p99Ms: quantile(0.99),
        boundsMs: LAG_BOUNDS_MS,
        counts: Array.from(counts),
      }
    },
  }

  // The upper bound of the bucket holding the q-th sample, never past the largest sample seen.
  function quantile(q: number): number {
    if (count === 0) return 0
    const rank = Math.ceil(q * count)
    let seen = 0
    for (let bucket = 0; bucket < counts.length; bucket++) {
      seen += counts[bucket] as number
      if (seen >= rank) return Math.min(bounds[bucket] ?? maxMs, maxMs)
    }
    return maxMs
  }
}
