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

// The default retention (100 000 events per stream) against the run that broke the old one
// (10 000): 20 000 events through 12 SIGKILLs with 20 clients, 4 of which read slowly, so that
// they fall thousands of events behind and resume from far back after each kill. Every client must
// end with every event, once, in order, and no client may be told its cursor expired.
const LONG_EVENTS = 20_000
const LONG_KILLS = 12
const CLIENTS = 20
const SLOW = 4

describe('chaos: a long run with slow clients, at the default retention', () => {
  it(`keeps ${CLIENTS} clients (${SLOW} slow) whole through ${LONG_EVENTS} events and ${LONG_KILLS} SIGKILLs`, async () => {
    const port = await freePort()
    let server = await startServer(port)
    const store = redisStore({ url: REDIS_URL, prefix: PREFIX, onError: () => undefined })
    const producerErrors: RunstreamError[] = []
    const manager = createStreamManager({
      catalog: executionCatalog,
      store,
      onError: (error) => producerErrors.push(error),
    })
    const id = `long_${Date.now().toString(36)}`
    const producer = manager.stream(`workflow:${id}`)
    let emitted = 0

    const clients = range(1, CLIENTS).map((n) => {
      const slow = n <= SLOW
      const errors: RunstreamError[] = []
      const subscription = connect(
        `http://127.0.0.1:${port}/api/v0/executions/workflows/${id}/stream`,
        {
          catalog: executionCatalog,
          idleTimeoutMs: 3000,
          reconnect: { initialDelayMs: 20, maxDelayMs: 200, maxRetries: Number.POSITIVE_INFINITY },
          onError: (error) => errors.push(error),
        },
      )
      const client = {
        slow,
        errors,
        subscription,
        received: 0,
        maxBehind: 0,
        events: [] as number[],
      }
      const consumed = (async () => {
        for await (const event of subscription) {
          client.events.push(Number(event.id))
          client.received++
          // A slow reader: the server's buffer for it fills, it is ended as too slow, and it
          // resumes from the store, further and further behind.
          if (slow && client.received % 3 === 0) await pause(1)
        }
      })()
      return { ...client, consumed, state: client }
    })
    const fastest = () => Math.max(...clients.map((c) => c.state.received))

    try {
      const emitting = (async () => {
        for (let n = 1; n <= LONG_EVENTS; n += 100) {
          await waitFor(() => n - fastest() <= AHEAD, {
            timeoutMs: 60_000,
            what: `a client to receive event ${n - AHEAD}`,
          })
          for (let m = n; m < n + 100 && m <= LONG_EVENTS; m++) {
            producer.emit('llm_chunk', { text: `${m}` })
            emitted = m
          }
          for (const c of clients)
            c.state.maxBehind = Math.max(c.state.maxBehind, emitted - c.state.received)
          await pause(20)
        }
        producer.emit('complete', { status: 'SUCCESS' })
        await manager.flush()
      })()
      for (let k = 1; k <= LONG_KILLS; k++) {
        const target = Math.floor((k * LONG_EVENTS) / (LONG_KILLS + 1))
        await waitFor(() => fastest() >= target, {
          timeoutMs: 60_000,
          what: `${target} events before kill ${k}`,
        })
        await kill(server)
        await pause(50 + 100 * (k % 3))
        server = await startServer(port)
      }
      await emitting
      await Promise.all(clients.map((c) => c.consumed))
      expect(producerErrors).toEqual([])
      for (const c of clients) {
        expect(c.state.events).toEqual(range(1, LONG_EVENTS + 1))
        expect(c.state.errors.filter((error) => error.code === 'cursor_expired')).toEqual([])
      }
      const slowest = Math.max(...clients.map((c) => c.state.maxBehind))
      console.info(
        `chaos (long): ${LONG_EVENTS + 1} events to ${CLIENTS} clients through ${LONG_KILLS} SIGKILLs; a slow client was up to ${slowest} events behind the producer; ${clients.reduce((sum, c) => sum + c.state.errors.length, 0)} client errors (${[...new Set(clients.flatMap((c) => c.state.errors.map((e) => e.code)))].join(', ')})`,
      )
    } finally {
      for (const c of clients) c.subscription.close()
      await manager.close()
      await store.close()
    }
  }, 120_000)
})
