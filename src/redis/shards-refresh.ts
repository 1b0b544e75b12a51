import type { Cluster } from 'ioredis'

/**
 * The least time between two slot refreshes the sharded fanout asks for, so that a burst of
 * pushed unsubscribes (one per channel of a moved slot) costs one refresh. Also its pause before
 * it retries a registration on a refreshed slot map.
 */
export const REFRESH_GAP_MS = 100

/** The sharded fanout's requests for a fresh slot map, spaced by {@link REFRESH_GAP_MS}. */
export interface SlotRefresher {
  /**
   * Asks the cluster for a fresh slot map, at most once per {@link REFRESH_GAP_MS}: requests
   * made meanwhile join the pending one.
   */
  request(): void
  /** Drops the pending request; later ones do nothing. */
  close(): void
}

/**
 * Creates the refresher of `cluster`'s slot map. A refresh that succeeds emits the cluster's
 * `refresh` event (which the fanout listens to); one that fails leaves the next request to retry.
 */
export function createSlotRefresher(cluster: Cluster): SlotRefresher {
  let timer: ReturnType<typeof setTimeout> | undefined
  let lastRefreshAt = 0
  let closed = false

  return {
    request() {
      if (closed || timer !== undefined) return
      const wait = Math.max(0, lastRefreshAt + REFRESH_GAP_MS - Date.now())
      timer = setTimeout(() => {
        timer = undefined
        if (closed) return
        lastRefreshAt = Date.now()
        cluster.refreshSlotsCache()
      }, wait)
      // A pending refresh must not keep the process alive on its own.
      ;(timer as { unref?: () => void }).unref?.()
    },
    close() {
      closed = true
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
    },
  }
}
