/** The idle watchdog of one attempt: see {@link createWatchdog}. */
export interface Watchdog {
  /** A wait for the network begins (for response headers, or for the next chunk). */
  arm(): void
  /** The wait is over (bytes arrived): nothing is awaited from the network until the next `arm()`. */
  pause(): void
  /** Stops it for good; its timer is cleared. */
  stop(): void
}

/**
 * Calls `onSilence` once when a wait for the network lasts `timeoutMs`. Only the waits count:
 * while the client waits for its consumer instead (a slow `for await` body), it is paused, and
 * that time is never taken for silence. `0` turns it off.
 *
 * One timer, re-armed only when it fires before the silence is long enough, instead of a
 * `setTimeout`/`clearTimeout` pair per chunk, which costs more than parsing a small event.
 */
export function createWatchdog(timeoutMs: number, onSilence: () => void): Watchdog {
  let timer: ReturnType<typeof setTimeout> | undefined
  // When the current wait began; undefined while nothing is awaited from the network.
  let since: number | undefined

  const watch = (ms: number) => {
    timer = setTimeout(() => {
      timer = undefined
      if (since === undefined) return
      const left = since + timeoutMs - performance.now()
      if (left > 0) return watch(left)
      since = undefined
      onSilence()
    }, ms)
  }

  return {
    arm() {
      since = performance.now()
      if (timeoutMs > 0 && timer === undefined) watch(timeoutMs)
    },
    pause() {
      since = undefined
    },
    stop() {
      clearTimeout(timer)
      timer = since = undefined
    },
  }
}
