/**
 * One interval timer for the heartbeats of every connection of a handler, instead of one per
 * connection: a timer and its list entry cost more memory than the connection's place in a Set,
 * and ten thousand timers firing apart cost more than one walking ten thousand callbacks.
 */
export interface Ticker {
  /**
   * Calls `ticking.heartbeat()` at every period from now on; the timer runs while anything is
   * registered. An object with a method, not a function: a connection registers itself, with no
   * function bound to it for the purpose.
   */
  add(ticking: Ticking): void
  /** Stops calling `ticking`. */
  delete(ticking: Ticking): void
}

/** What a {@link Ticker} calls. */
export interface Ticking {
  /** One tick. */
  heartbeat(): void
}

/**
 * Creates a {@link Ticker} of period `periodMs`. A callback added between two ticks is first
 * called at the next one, so less than a period after it was added: a heartbeat can come early,
 * never late, and "two ticks in a row" still spans at least a full period.
 */
export function createTicker(periodMs: number): Ticker {
  const ticks = new Set<Ticking>()
  let timer: ReturnType<typeof setInterval> | undefined
  return {
    add(tick) {
      ticks.add(tick)
      timer ??= setInterval(run, periodMs)
    },
    delete(tick) {
      ticks.delete(tick)
      if (ticks.size === 0 && timer !== undefined) {
        clearInterval(timer)
        timer = undefined
      }
    },
  }

  function run(): void {
    // A Set visits what is added while it is walked: a callback added by a tick waits for the next.
    for (const ticking of [...ticks]) ticking.heartbeat()
  }
}
