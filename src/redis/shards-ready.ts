import type { Cluster } from 'ioredis'

/** The sharded fanout's wait for its cluster to connect, shared by every stream that waits. */
export interface ClusterReadyWait {
  /**
   * Settles when the cluster is ready, after `timeoutMs`, or when the wait is closed, whichever
   * comes first. The caller checks afterwards whether the cluster knows its slots.
   */
  wait(timeoutMs: number): Promise<void>
  /** Settles every pending wait and removes the cluster listener. */
  close(): void
}

/**
 * Creates the wait for `cluster`'s `ready` event: the streams that wait together share one
 * listener however many they are, and it is removed as soon as it fires or the wait closes.
 */
export function createClusterReadyWait(cluster: Cluster): ClusterReadyWait {
  let pending: { promise: Promise<void>; settle(): void } | undefined
  let closed = false

  return {
    async wait(timeoutMs) {
      // Nothing to wait for once closed, and no listener left behind.
      if (closed) return
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([
        ready(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs)
        }),
      ])
      clearTimeout(timer)
    },
    close() {
      closed = true
      pending?.settle()
    },
  }

  // Settles when the cluster is ready, or the wait closes. One listener serves every caller.
  function ready(): Promise<void> {
    if (pending !== undefined) return pending.promise
    let resolve = () => {}
    const promise = new Promise<void>((settled) => {
      resolve = settled
    })
    const settle = () => {
      cluster.off('ready', settle)
      pending = undefined
      resolve()
    }
    cluster.on('ready', settle)
    pending = { promise, settle }
    return promise
  }
}
