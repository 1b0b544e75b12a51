import type { Cluster } from 'ioredis'
import { servesSlot, slotPrimaries } from './slot.js'

/**
 * Keeps a Redis Cluster's slot map current while a node it names cannot be reached, so that
 * commands and watches go to the replica that takes its place as soon as the cluster promotes it.
 */
export interface FailoverWatch {
  /** Tells that a connection to `node` (`host:port`) failed or closed. */
  unreachable(node: string): void
  /** Stops polling. */
  close(): void
}

/**
 * How often the slot map is asked for while a node it names is unreachable. A failover takes
 * at least the cluster's `cluster-node-timeout` and an election (about a second more), so this
 * adds at most one tenth of a typical one.
 */
export const FAILOVER_POLL_MS = 200

// A node not reported unreachable for this long is taken to be back: the connections that report
// it retry at least once a second while it is away.
const SILENCE_MS = 1500

/**
 * Watches the nodes of `cluster`: after a connection to one of them fails (a node connection of
 * the cluster, or a subscriber of the store), asks for the slot map every
 * {@link FAILOVER_POLL_MS} until that node no longer serves slots (its replica was promoted, and
 * the cluster's `refresh` event lets the watches follow) or its connections stop failing (it
 * came back). ioredis asks only after a `MOVED` reply, which a dead node never sends, and the
 * store resends nothing on another node (`retryDelayOnFailover: 0`): without this, the slot map
 * would name the dead node until some command met the new primary.
 */
export function watchFailover(cluster: Cluster): FailoverWatch {
  const lastReport = new Map<string, number>()
  let timer: ReturnType<typeof setTimeout> | undefined
  let closed = false
  const onNodeError = (_error: unknown, node: unknown) => {
    if (typeof node === 'string') unreachable(node)
  }
  cluster.on('node error', onNodeError)

  return {
    unreachable,
    close() {
      closed = true
      cluster.off('node error', onNodeError)
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      lastReport.clear()
    },
  }

  function unreachable(node: string): void {
    // A node the map no longer names (it failed over, or left) is nothing to wait for.
    if (closed || !servesSlot(cluster.slots, node)) return
    lastReport.set(node, Date.now())
    schedule()
  }

  function schedule(): void {
    if (timer !== undefined || closed) return
    timer = setTimeout(() => {
      timer = undefined
      if (closed) return
      cluster.refreshSlotsCache(() => {
        if (closed) return
        const now = Date.now()
        const serving = slotPrimaries(cluster.slots)
        for (const [node, at] of lastReport) {
          if (!serving.has(node) || now - at > SILENCE_MS) lastReport.delete(node)
        }
        if (lastReport.size > 0) schedule()
      })
    }, FAILOVER_POLL_MS)
    // A pending poll must not keep the process alive on its own.
    ;(timer as { unref?: () => void }).unref?.()
  }
}
