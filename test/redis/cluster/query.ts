import { Redis } from 'ioredis'
import { waitFor } from '../../helpers/wait.js'

// How the cluster helpers talk to one node: a connection of its own per question, closed after
// it, so that a node stopped or suspended by a test leaves no client behind that retries.

/** Runs `command` on the node on `port`, on a connection of its own. */
export async function ask<T>(port: number, command: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0 })
  try {
    return await command(redis)
  } finally {
    redis.disconnect()
  }
}

/** Like {@link ask}, or `undefined` when the node does not answer. */
export async function probeValue<T>(
  port: number,
  command: (redis: Redis) => Promise<T>,
): Promise<T | undefined> {
  let value: T | undefined
  const answered = await probe(port, async (redis) => {
    value = await command(redis)
    return true
  })
  return answered ? value : undefined
}

/** Whether the node on `port` answers and reports `cluster_state:ok`. */
export async function clusterOk(port: number): Promise<boolean> {
  return probe(port, async (redis) =>
    String(await redis.call('CLUSTER', 'INFO')).includes('cluster_state:ok'),
  )
}

/** Whether the node on `port` answers `PING`. */
export async function ping(port: number): Promise<boolean> {
  return probe(port, async (redis) => (await redis.ping()) === 'PONG')
}

/** Asks the node on `port` once, on a connection of its own: false when it does not answer. */
async function probe(port: number, ask: (redis: Redis) => Promise<boolean>): Promise<boolean> {
  const redis = new Redis(port, '127.0.0.1', {
    maxRetriesPerRequest: 0,
    lazyConnect: true,
    retryStrategy: () => null,
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
    return await ask(redis)
  } catch {
    return false
  } finally {
    redis.disconnect()
  }
}

/** Waits until `value` gives something other than `undefined`, and returns it. */
export async function waitValue<T>(
  value: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  let found: T | undefined
  await until(
    async () => {
      found = await value()
      return found !== undefined
    },
    timeoutMs,
    what,
  )
  return found as T
}

/** Waits until `check` holds, polled every 50 ms; fails after `timeoutMs` naming `what`. */
export function until(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  return waitFor(check, { timeoutMs, what, intervalMs: 50 })
}

/** A field of an `INFO` reply. */
export function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1]
}

/**
 * The fields of the line of `CLUSTER NODES` about the node on `port`: id, address, flags, the id
 * of its primary ("-" for a primary), …; none when it is not listed.
 */
export function nodeLine(nodes: string, port: number): string[] {
  const line = nodes.split('\n').find((l) => l.split(' ')[1]?.startsWith(`127.0.0.1:${port}@`))
  return line === undefined ? [] : line.split(' ')
}
