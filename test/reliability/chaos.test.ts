import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { connect, type RunstreamError } from '../../src/client.js'
import { createStreamManager, executionCatalog } from '../../src/index.js'
import { redisStore } from '../../src/redis.js'
import { freePort } from '../helpers/http.js'
import { pause, waitFor } from '../helpers/wait.js'
import { deleteKeys } from '../redis/helpers.js'
import { collect, range } from './harness.js'

// The server process is killed with SIGKILL several times while 10 000 events flow through Redis
// from a producer that never stops, and restarted on the same port each time. The client
// reconnects, resumes with its Last-Event-ID, and gets every event exactly once, in order.

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const PREFIX = `rstest:chaos:${process.pid}-${Date.now().toString(36)}:`
const EVENTS = 10_000
const KILLS = 5
/** How far the producer may run ahead of the client: less than the events between two kills. */
const AHEAD = 1000
const fixture = fileURLToPath(new URL('./fixtures/chaos-server.ts', import.meta.url))

const children = new Set<ChildProcess>()
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL')
  await deleteKeys(REDIS_URL, PREFIX)
})

/** Starts a server process on `port`; resolves with it once it accepts connections. */
async function startServer(port: number): Promise<ChildProcess> {
  const child = fork(fixture, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, PORT: String(port), REDIS_URL, PREFIX },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  children.add(child)
  child.once('exit', () => children.delete(child))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server process did not start')), 15_000)
    child.once('message', () => {
      clearTimeout(timer)
      resolve()
    })
    child.once('exit', (code) => reject(new Error(`the server process exited (${code})`)))
  })
  return child
}

/** Kills `child` with SIGKILL: no goodbye, no flushing, sockets reset. */
async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}

describe('chaos: the server process is killed mid-run, over and over', () => {
  it(`delivers ${EVENTS} events exactly once, in order, across ${KILLS} SIGKILLs and restarts`, async () => {
    const port = await freePort()
    let server = await startServer(port)
    const pids = new Set([server.pid])

    // The producer lives in this process and writes to Redis: it never sees the kills.
    const store = redisStore({ url: REDIS_URL, prefix: PREFIX, onError: () => undefined })
    const producerErrors: RunstreamError[] = []
    const manager = createStreamManager({
      catalog: executionCatalog,
      store,
      onError: (error) => producerErrors.push(error),
    })
    const id = `chaos_${Date.now().toString(36)}`
    const producer = manager.stream(`workflow:${id}`)

    const clientErrors: RunstreamError[] = []
    const subscription = connect(
      `http://127.0.0.1:${port}/api/v0/executions/workflows/${id}/stream`,
      {
        catalog: executionCatalog,
        idleTimeoutMs: 3000,
        reconnect: { initialDelayMs: 20, maxDelayMs: 100, maxRetries: Number.POSITIVE_INFINITY },
        onError: (error) => clientErrors.push(error),
      },
    )
    let received = 0
    const consumed = collect(subscription, (_, count) => {
      received = count
    })

    try {
      // 10 000 events over about 8 s, in bursts of 25 every 20 ms, never more than AHEAD events
      // ahead of the client: the stream is still going at every kill, however slow the machine.
      const emitting = (async () => {
        for (let n = 1; n <= EVENTS; n += 25) {
          await waitFor(() => n - received <= AHEAD, {
            timeoutMs: 30_000,
            what: `the client to receive event ${n - AHEAD}`,
          })
          for (let m = n; m < n + 25 && m <= EVENTS; m++)
            producer.emit('llm_chunk', { text: `${m}` })
          await pause(20)
        }
        producer.emit('complete', { status: 'SUCCESS' })
        await manager.flush()
      })()
      // Kill the server each time the client has made progress, then restart it.
      const killedAt: number[] = []
      for (let k = 1; k <= KILLS; k++) {
        const target = Math.floor((k * EVENTS) / (KILLS + 1))
        await waitFor(() => received >= target, {
          timeoutMs: 30_000,
          what: `${target} events before kill ${k}`,
        })
        killedAt.push(received)
        await kill(server)
        // Down for 50 to 250 ms: the client's reconnects meet a closed port meanwhile.
        await pause(50 + 100 * (k % 3))
        server = await startServer(port)
        pids.add(server.pid)
      }
      await emitting
      const events = await consumed
      expect(producerErrors).toEqual([])
      expect(events.map((event) => Number(event.id))).toEqual(range(1, EVENTS + 1))
      expect(events.slice(0, EVENTS).map((event) => event.data)).toEqual(
        range(1, EVENTS).map((n) => ({ text: `${n}` })),
      )
      expect(events.at(-1)?.type).toBe('complete')
      // The kills happened mid-stream, each to a different process, and the client felt them.
      expect(killedAt.every((at) => at > 0 && at < EVENTS)).toBe(true)
      expect(pids.size).toBe(KILLS + 1)
      expect(
        clientErrors.filter((error) => error.code === 'network_error').length,
      ).toBeGreaterThanOrEqual(KILLS)
      console.info(
        `chaos: ${EVENTS + 1} events, ${KILLS} SIGKILLs at ${killedAt.join(', ')} events received, ${clientErrors.length} client errors (${[...new Set(clientErrors.map((e) => e.code))].join(', ')})`,
      )
    } finally {
      subscription.close()
      await manager.close()
      await store.close()
    }
  }, 60_000)
})
