import { afterEach, describe, expect, it } from 'vitest'
import type { EventRecord } from '../../src/core/envelope.js'
import { type BurstSubscription, NEXT_BURST } from '../../src/core/subscription.js'
import { createStreamManager, executionCatalog } from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'
import { burstFrame, recordFrame } from '../../src/server/frames.js'
import { envelopesOf, get, startServer, waitFor } from '../helpers/http.js'
import { testManager } from '../helpers/server.js'

// A live burst (the events of one turn) is one array that every subscriber keeping up holds as it
// is, and its SSE frames are joined once for every connection at the same place in the stream.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const streamPath = (id: string, query = '') => `/api/v0/executions/agents/${id}/stream${query}`

// The next burst, read as the SSE pump reads it: told by the subscription when to read again.
function burstOf(subscription: unknown): Promise<readonly EventRecord[]> {
  const source = subscription as BurstSubscription
  return new Promise((resolve, reject) => {
    const reader = {
      burstReady() {
        try {
          const burst = source[NEXT_BURST](reader)
          if (burst !== undefined) resolve(burst)
        } catch (error) {
          reject(error)
        }
      },
    }
    reader.burstReady()
  })
}

const ids = (records: readonly EventRecord[]) => records.map((r) => Number(r.envelope.id))

/** The ids of every burst a subscription takes, to its end. */
async function drain(subscription: unknown): Promise<number[]> {
  const seen: number[] = []
  for (;;) {
    const burst = await burstOf(subscription)
    if (burst.length === 0) return seen
    seen.push(...ids(burst))
  }
}

describe('a live burst shared by its subscribers', () => {
  it('is the same array for two subscribers at the same place, with frames joined once', async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    const producer = manager.stream('agent:s')
    producer.emit('llm_chunk', { text: 'before' })
    const a = manager.subscribeRecords({ stream: 'agent:s' })
    const b = manager.subscribeRecords({ stream: 'agent:s' })
    expect(ids(await burstOf(a))).toEqual([1])
    expect(ids(await burstOf(b))).toEqual([1])
    const waitingA = burstOf(a)
    const waitingB = burstOf(b)
    for (let i = 0; i < 5; i++) producer.emit('llm_chunk', { text: `t${i}` })
    const [burstA, burstB] = await Promise.all([waitingA, waitingB])
    // Taken whole, after the producer's turn: every event of it, and the very same array.
    expect(ids(burstA)).toEqual([2, 3, 4, 5, 6])
    expect(burstB).toBe(burstA)
    const joined = burstFrame(burstA, 'envelope', 1_000_000)
    expect(joined).toBeDefined()
    expect(burstFrame(burstB, 'envelope', 1_000_000)).toBe(joined)
    const oneByOne = Buffer.concat(burstA.map((r) => recordFrame(r, 'envelope')))
    expect(Buffer.from(joined as Uint8Array).equals(oneByOne)).toBe(true)
    // Over the caller's room it is not joined: the caller sends record by record.
    expect(burstFrame(burstA, 'envelope', oneByOne.length - 1)).toBeUndefined()
    expect(a.lastEventId).toBe(b.lastEventId)
    expect(a.lastEventId?.endsWith('.6')).toBe(true)
    a.close()
    b.close()
  })

  it('gives each subscriber every event once, in order, when one takes part of a burst mid-turn', async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    const producer = manager.stream('agent:m')
    producer.emit('llm_chunk', { text: '0' })
    const a = manager.subscribeRecords({ stream: 'agent:m' })
    const b = manager.subscribeRecords({ stream: 'agent:m' })
    await burstOf(a)
    await burstOf(b)
    const seenA: number[] = []
    producer.emit('llm_chunk', { text: '1' })
    producer.emit('llm_chunk', { text: '2' })
    // A takes what it holds in the middle of the producer's turn: the burst may grow no more.
    for (const record of a.takeQueued()) seenA.push(Number(record.envelope.id))
    producer.emit('llm_chunk', { text: '3' })
    producer.emit('complete', { status: 'SUCCESS' })
    for (;;) {
      const burst = await burstOf(a)
      if (burst.length === 0) break
      seenA.push(...ids(burst))
    }
    const seenB: number[] = []
    for (;;) {
      const burst = await burstOf(b)
      if (burst.length === 0) break
      seenB.push(...ids(burst))
    }
    expect(seenA).toEqual([2, 3, 4, 5])
    expect(seenB).toEqual([2, 3, 4, 5])
  })

  it('still tells every event to a subscriber that holds nothing after a holder leaves mid-turn', async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    const producer = manager.stream('agent:l')
    producer.emit('llm_chunk', { text: '0' })
    const a = manager.subscribeRecords({ stream: 'agent:l' })
    // B leaves event 1 queued: it cannot hold the next burst whole, the others do.
    const b = manager.subscribeRecords({ stream: 'agent:l' })
    const c = manager.subscribeRecords({ stream: 'agent:l' })
    await burstOf(a)
    await burstOf(c)
    await new Promise((resolve) => setImmediate(resolve))
    producer.emit('llm_chunk', { text: '1' })
    // A holder leaves in the middle of the turn: the hub must not count it any more.
    a.close()
    producer.emit('llm_chunk', { text: '2' })
    producer.emit('complete', { status: 'SUCCESS' })
    expect(await drain(b)).toEqual([1, 2, 3, 4])
    expect(await drain(c)).toEqual([2, 3, 4])
  })

  it('lets a subscriber that joins mid-burst replay the start and go on live, without duplicates', async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    const producer = manager.stream('agent:j')
    producer.emit('llm_chunk', { text: '0' })
    const a = manager.subscribeRecords({ stream: 'agent:j' })
    await burstOf(a)
    producer.emit('llm_chunk', { text: '1' })
    producer.emit('llm_chunk', { text: '2' })
    const late = manager.subscribeRecords({ stream: 'agent:j' })
    producer.emit('llm_chunk', { text: '3' })
    await Promise.resolve()
    producer.emit('llm_chunk', { text: '4' })
    producer.emit('complete', { status: 'SUCCESS' })
    expect(await drain(a)).toEqual([2, 3, 4, 5, 6])
    expect(await drain(late)).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('tells a waiting reader once, after the turn of the producer, so that it takes the turn whole', async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    const producer = manager.stream('agent:t')
    producer.emit('llm_chunk', { text: '0' })
    const source = manager.subscribeRecords({ stream: 'agent:t' }) as unknown as BurstSubscription
    await burstOf(source)
    let told = 0
    const reader = {
      burstReady() {
        told++
      },
    }
    expect(source[NEXT_BURST](reader)).toBeUndefined()
    for (let i = 1; i <= 5; i++) producer.emit('llm_chunk', { text: `${i}` })
    // Not while the producer's turn lasts: the burst may still grow.
    expect(told).toBe(0)
    await new Promise((resolve) => setImmediate(resolve))
    expect(told).toBe(1)
    expect(ids(source[NEXT_BURST](reader) ?? [])).toEqual([2, 3, 4, 5, 6])
    // Nothing more: it waits again, and is told again only by the next event.
    expect(source[NEXT_BURST](reader)).toBeUndefined()
    await new Promise((resolve) => setImmediate(resolve))
    expect(told).toBe(1)
    producer.emit('complete', { status: 'SUCCESS' })
    await new Promise((resolve) => setImmediate(resolve))
    expect(told).toBe(2)
  })

  it('ends a subscriber that holds a burst grown past maxQueuedEvents', async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    const producer = manager.stream('agent:o')
    producer.emit('llm_chunk', { text: '0' })
    const a = manager.subscribeRecords({ stream: 'agent:o', maxQueuedEvents: 5 })
    await burstOf(a)
    const taking = burstOf(a)
    for (let i = 0; i < 10; i++) producer.emit('llm_chunk', { text: `${i}` })
    // Woken by the first event; by the time it takes, the burst holds 10: 5 are queued, then it fails.
    expect(ids(await taking)).toEqual([2, 3, 4, 5, 6])
    await expect(burstOf(a)).rejects.toMatchObject({ code: 'subscriber_overflow' })
  })
})

describe('SSE connections at the same place in the stream', () => {
  it('receive byte-identical bursts, one epoch frame each, while a filtered one gets its types', async () => {
    const { manager, store, errors } = testManager()
    const server = await startServer(createNodeHandler(manager, { heartbeatMs: 60_000 }))
    cleanups.push(() => server.close())
    const producer = manager.stream('agent:f')
    producer.emit('agent_status', { status: 'RUNNING' })
    const one = await get(server.url + streamPath('f'))
    const two = await get(server.url + streamPath('f'))
    const filtered = await get(server.url + streamPath('f', '?events=tool_call'))
    cleanups.push(
      () => one.destroy(),
      () => two.destroy(),
      () => filtered.destroy(),
    )
    for (const response of [one, two]) await response.until((t) => t.includes('agent_status'))
    await filtered.until((t) => t.includes(': ok'))
    await waitFor(() => store.listening === 1, { what: 'the hub to listen' })
    for (let burst = 0; burst < 3; burst++) {
      for (let i = 0; i < 20; i++) producer.emit('llm_chunk', { text: `${burst}.${i}` })
      producer.emit('tool_call', { tool_name: 'search', args: { burst } })
      await new Promise((resolve) => setImmediate(resolve))
    }
    producer.emit('complete', { status: 'SUCCESS' })
    const [textOne, textTwo, textFiltered] = await Promise.all([
      one.end(),
      two.end(),
      filtered.end(),
    ])
    expect(textTwo).toBe(textOne)
    expect(envelopesOf(textOne).map((e) => Number(e.id))).toEqual(
      Array.from({ length: 65 }, (_, i) => i + 1),
    )
    // The epoch frame (an id line alone) once, before the first record.
    expect(textOne.match(/^id: [0-9a-z]+\.\d+\n\n/gm)).toHaveLength(1)
    expect(textFiltered.match(/^id: [0-9a-z]+\.\d+\n\n/gm)).toHaveLength(1)
    expect(envelopesOf(textFiltered).map((e) => e.type)).toEqual([
      'tool_call',
      'tool_call',
      'tool_call',
      'complete',
    ])
    expect(errors).toEqual([])
  })

  it('cut a client that stopped reading, while the one that reads gets everything', async () => {
    const { manager, store, errors } = testManager()
    const server = await startServer(
      createNodeHandler(manager, { heartbeatMs: 100, maxQueuedBytes: 65_536 }),
    )
    cleanups.push(() => server.close())
    const producer = manager.stream('agent:slow')
    producer.emit('agent_status', { status: 'RUNNING' })
    const reader = await get(server.url + streamPath('slow'))
    cleanups.push(() => reader.destroy())
    await reader.until((t) => t.includes('agent_status'))
    const stalled = await rawStalledClient(server.url + streamPath('slow'))
    cleanups.push(() => stalled.destroy())
    await waitFor(() => store.listening === 1, {
      what: 'the hub to listen',
    })
    const big = 'y'.repeat(2000)
    let id = 1
    // Bursts of 40 KB, each once the reader has the one before: the reader stays within the
    // bound, the stalled client falls behind until it is cut.
    for (
      let burst = 0;
      burst < 150 && !errors.some((e) => e.code === 'subscriber_overflow');
      burst++
    ) {
      for (let i = 0; i < 20; i++) producer.emit('llm_chunk', { text: big })
      id += 20
      await reader.until((t) => t.includes(`id: ${id}\n`), 20_000)
    }
    producer.emit('complete', { status: 'SUCCESS' })
    const text = await reader.end(20_000)
    expect(envelopesOf(text).map((e) => Number(e.id))).toEqual(
      Array.from({ length: id + 1 }, (_, i) => i + 1),
    )
    await waitFor(() => errors.some((e) => e.code === 'subscriber_overflow'), {
      what: 'the stalled client to be cut',
      timeoutMs: 20_000,
    })
  })
})

/** Opens a stream on a raw socket that never reads: its bytes pile up in the server. */
async function rawStalledClient(url: string): Promise<{ destroy(): void }> {
  const { default: net } = await import('node:net')
  const target = new URL(url)
  const socket = net.connect(Number(target.port), target.hostname)
  socket.setNoDelay(true)
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  socket.write(`GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\n\r\n`)
  socket.pause()
  return { destroy: () => socket.destroy() }
}
