import { afterEach, describe, expect, it } from 'vitest'
import { type ManyEvent, subscribeMany } from '../../src/client.js'
import { executionCatalog } from '../../src/index.js'
import { waitFor } from '../helpers/wait.js'
import { range } from './drafts.js'
import { deleteKeys, SHARED_REDIS_URL, uniquePrefix } from './helpers.js'
import { deploy, roundRobin } from './processes.js'

// Twenty task streams written by a producer process into Redis, followed over ONE many-stream
// connection served by two web processes behind a round-robin balancer that the test cuts: each
// reconnect lands on the other process, which resumes every stream from the composite cursor.
const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

describe('many streams on one connection, through Redis across two web processes', {
  timeout: 90_000,
}, () => {
  it('delivers every event of 20 streams once and in order while the connection hops between processes', async () => {
    const prefix = uniquePrefix('many')
    cleanup.push(() => deleteKeys(SHARED_REDIS_URL, prefix))
    const { web, producer } = await deploy({ REDIS_URL: SHARED_REDIS_URL, PREFIX: prefix }, cleanup)
    const balancer = await roundRobin(web)
    cleanup.push(() => balancer.close())

    const run = Date.now().toString(36)
    const names = range(1, 20).map((n) => `task:${run}_${n}`)
    const count = 100
    const subscription = subscribeMany(`http://127.0.0.1:${balancer.port}/api/v0`, names, {
      catalog: executionCatalog,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
      onError: () => {},
    })
    cleanup.push(() => subscription.close())
    const events: ManyEvent<typeof executionCatalog>[] = []
    const consumed = (async () => {
      for await (const event of subscription) events.push(event)
    })()
    await waitFor(() => subscription.readyState === 'open', { what: 'the first connection' })
    for (const stream of names) producer.send({ type: 'run', stream, count, intervalMs: 30 })
    // Cut the connection five times, each time once it is open and 100 more events arrived on
    // it: the reconnect lands on the other process, A and B in turn.
    for (let cuts = 1; cuts <= 5; cuts++) {
      await waitFor(
        () =>
          balancer.connections[0] + balancer.connections[1] === cuts &&
          subscription.readyState === 'open',
        { what: `connection ${cuts} to open`, timeoutMs: 30_000 },
      )
      const before = events.length
      await waitFor(() => events.length >= before + 100, {
        what: `100 events on connection ${cuts}`,
        timeoutMs: 30_000,
      })
      balancer.cutAll()
    }
    for (const _ of names) await producer.next('done', 30_000)
    await consumed

    expect(balancer.connections[0]).toBeGreaterThanOrEqual(3)
    expect(balancer.connections[1]).toBeGreaterThanOrEqual(3)
    for (const stream of names) {
      const own = events.filter((event) => event.stream === stream)
      expect(own.map((event) => Number(event.id))).toEqual(range(1, count + 1))
      expect(own.slice(0, count).map((event) => event.data)).toEqual(
        range(1, count).map((n) => ({ text: `chunk ${n} ` })),
      )
      expect(own.at(-1)?.type).toBe('complete')
    }
    expect(events).toHaveLength(names.length * (count + 1))
    expect(subscription.lastEventId).toBe(names.map(() => '~').join(','))
  })
})
