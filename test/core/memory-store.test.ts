import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { WORK } from '../../src/core/memory-store.js'
import {
  createStreamManager,
  type DraftEvent,
  defineCatalog,
  type GapInfo,
  type MemoryStore,
  memoryStore,
} from '../../src/index.js'

function draft(stream: string, terminal = false): DraftEvent {
  const ts = '2026-01-01T00:00:00.000Z'
  return {
    type: 'x',
    stream,
    ts,
    data: 1,
    terminal,
    body: `"type":"x","stream":"${stream}","ts":"${ts}","data":1}`,
  }
}

describe('memoryStore', () => {
  it('keeps the newest maxEventsPerStream events of a stream', () => {
    const store = memoryStore({ maxEventsPerStream: 3 })
    for (let i = 0; i < 10; i++) store.append(draft('s'))
    const read = store.read('s')
    expect(read.events.map((r) => r.envelope.id)).toEqual(['8', '9', '10'])
    expect(read.firstId).toBe('8')
  })

  it('holds the newest events as the live records and older ones as their JSON, parsed when read', () => {
    const store = memoryStore()
    const live = Array.from({ length: 100 }, () => store.append(draft('s')))
    const held = store.read('s').events
    // The newest are the very records the live path delivered; the oldest are not kept with the
    // producer's envelope, but read back as it: the same JSON, and its envelope parsed from it.
    expect(held[99]).toBe(live[99])
    expect(held[0]).not.toBe(live[0])
    expect(held[0]?.json).toBe(live[0]?.json)
    expect(held[0]?.envelope).toEqual(live[0]?.envelope)
    expect(held[0]?.envelope).toBe(held[0]?.envelope)
    expect(held.map((r) => [r.envelope.id, r.terminal, r.epoch])).toEqual(
      live.map((r) => [r.envelope.id, r.terminal, r.epoch]),
    )
  })

  it('forgets a finished stream after finishedTtlMs and an idle one after idleTtlMs', () => {
    let now = 0
    const store = memoryStore({ finishedTtlMs: 100, idleTtlMs: 1000, now: () => now })
    store.append(draft('done'))
    store.append(draft('done', true))
    store.append(draft('idle'))
    now = 150
    expect(store.read('done').events).toHaveLength(0)
    expect(store.read('idle').events).toHaveLength(1)
    now = 1200
    expect(store.read('idle').events).toHaveLength(0)
  })

  it('holds at most maxStreams streams, forgetting finished ones first', () => {
    const store = memoryStore({ maxStreams: 3 })
    store.append(draft('a'))
    store.append(draft('b', true))
    store.append(draft('c'))
    store.append(draft('d'))
    expect(store.size).toBe(3)
    expect(store.read('b').lastId).toBeUndefined()
    expect(store.read('a').lastId).toBe('1')
  })

  it('prefixes the id to the draft body: the envelope JSON, byte for byte', () => {
    const store = memoryStore()
    const record = store.append(draft('s'))
    expect(record.json).toBe(
      '{"id":"1","type":"x","stream":"s","ts":"2026-01-01T00:00:00.000Z","data":1}',
    )
    expect(JSON.parse(record.json)).toEqual(record.envelope)
  })

  it('keeps delivering to other listeners when one throws', () => {
    const store = memoryStore()
    const got: string[] = []
    store.listen('s', {
      event: () => {
        throw new Error('bad listener')
      },
    })
    store.listen('s', { event: (r) => got.push(r.envelope.id) })
    store.append(draft('s'))
    expect(got).toEqual(['1'])
  })
})

/** A draft of stream `stream` whose payload is the string `payload`. */
function sized(stream: string, payload: string, terminal = false): DraftEvent {
  const ts = '2026-01-01T00:00:00.000Z'
  return {
    type: 'x',
    stream,
    ts,
    data: payload,
    terminal,
    body: `"type":"x","stream":"${stream}","ts":"${ts}","data":${JSON.stringify(payload)}}`,
  }
}

const workOf = (store: MemoryStore) => (store as unknown as { [WORK]: number })[WORK]

describe('memoryStore byte budget', () => {
  it('counts the stored JSON, one per character, and releases it when a stream is forgotten', () => {
    const store = memoryStore()
    const a = store.append(sized('s', 'é🚀'))
    const b = store.append(sized('t', 'plain'))
    expect(store.bytes).toBe(a.json.length + b.json.length)
    store.clear('s')
    expect(store.bytes).toBe(b.json.length)
  })

  it('gives back exactly the bytes it counted for each event it drops', () => {
    const store = memoryStore({ maxBytesPerStream: 600, maxBytes: 1000 })
    const held = () =>
      ['a', 'b']
        .flatMap((s) => store.read(s, { limit: 10_000 }).events)
        .reduce((sum, r) => sum + r.json.length, 0)
    // Events of many sizes, on two streams, so that both budgets drop events at every step.
    for (let i = 0; i < 200; i++) {
      store.append(sized(i % 3 === 0 ? 'b' : 'a', 'x'.repeat((i * 37) % 250)))
      expect(store.bytes).toBe(held())
    }
    store.clear('a')
    expect(store.bytes).toBe(held())
  })

  it('keeps at most maxBytesPerStream of a stream, dropping its oldest events', () => {
    const one = memoryStore().append(sized('s', 'x'.repeat(100))).json.length
    const store = memoryStore({ maxBytesPerStream: one * 4 + 10 })
    for (let i = 0; i < 20; i++) store.append(sized('s', 'x'.repeat(100)))
    const read = store.read('s')
    expect(read.events.map((r) => r.envelope.id)).toEqual(['17', '18', '19', '20'])
    expect(read.firstId).toBe('17')
    expect(store.bytes).toBeLessThanOrEqual(one * 4 + 10)
  })

  it('always keeps the newest event of a stream, even one larger than maxBytesPerStream', () => {
    const store = memoryStore({ maxBytesPerStream: 50 })
    store.append(sized('s', 'small'))
    store.append(sized('s', 'y'.repeat(500)))
    const read = store.read('s')
    expect(read.events.map((r) => r.envelope.id)).toEqual(['2'])
    expect(read.lastId).toBe('2')
  })

  it('keeps at most maxBytes in total, taking from the stream written longest ago, and keeps its ids', () => {
    const one = memoryStore().append(sized('a', 'x'.repeat(100))).json.length
    const store = memoryStore({ maxBytes: one * 6 + 10 })
    for (let i = 0; i < 3; i++) store.append(sized('a', 'x'.repeat(100)))
    for (let i = 0; i < 3; i++) store.append(sized('b', 'x'.repeat(100)))
    expect(store.bytes).toBe(one * 6)
    // Two more in c: the two oldest events of a, the stream written longest ago, go.
    store.append(sized('c', 'x'.repeat(100)))
    store.append(sized('c', 'x'.repeat(100)))
    expect(store.bytes).toBeLessThanOrEqual(one * 6 + 10)
    expect(store.read('a').events.map((r) => r.envelope.id)).toEqual(['3'])
    expect(store.read('b').events).toHaveLength(3)
    // a loses its last event too; the stream stays known, so its next id is 4, not 1.
    store.append(sized('c', 'x'.repeat(100)))
    expect(store.read('a')).toMatchObject({ events: [], firstId: undefined, lastId: '3' })
    expect(store.append(sized('a', 'x')).envelope.id).toBe('4')
  })

  it('tells a follower resuming behind dropped events of the gap, never silently', async () => {
    const one = memoryStore().append(sized('a', 'x'.repeat(100))).json.length
    const store = memoryStore({ maxBytes: one * 3 + 10 })
    const catalog = defineCatalog({ x: z.string() })
    const manager = createStreamManager({ catalog, store })
    for (let i = 0; i < 3; i++) manager.stream('a').emit('x', 'x'.repeat(100))
    for (let i = 0; i < 3; i++) manager.stream('b').emit('x', 'x'.repeat(100))
    // Every event of a was dropped for b's: a follower at a's cursor 1 is told.
    const gaps: GapInfo[] = []
    let told: () => void = () => {}
    const gapSeen = new Promise<void>((resolve) => {
      told = resolve
    })
    const resumed = manager.subscribe({
      stream: 'a',
      lastEventId: '1',
      onGap: (gap) => {
        gaps.push(gap)
        told()
      },
    })
    await gapSeen
    manager.stream('a').emit('x', 'next')
    const first = await resumed.next()
    resumed.close()
    expect(gaps).toEqual([{ reason: 'expired', lastEventId: '1', firstId: undefined, lastId: '3' }])
    expect(first.value?.id).toBe('4')
    // Without onGap, it is an error, not a silent skip.
    const strict = manager.subscribe({ stream: 'b', lastEventId: '0' })
    strict.close()
    const failing = manager.subscribe({ stream: 'a', lastEventId: '2' })
    await expect(failing.next()).rejects.toMatchObject({ code: 'cursor_expired' })
  })
})

describe('memoryStore making room', () => {
  it('does O(1) work per new stream at maxStreams, however many streams it holds', () => {
    const store = memoryStore({ maxStreams: 10_000 })
    for (let i = 0; i < 10_000; i++) store.append(draft(`s${i}`))
    expect(store.size).toBe(10_000)
    const before = workOf(store)
    for (let i = 0; i < 1000; i++) store.append(draft(`new${i}`))
    const perStream = (workOf(store) - before) / 1000
    // A scan or a sort of the 10,000 held streams would count thousands here.
    expect(perStream).toBeLessThanOrEqual(5)
    expect(store.size).toBe(10_000)
    // The oldest went first.
    expect(store.read('s999').lastId).toBeUndefined()
    expect(store.read('s1000').lastId).toBe('1')
  })

  it('does O(1) work per append when the byte budget makes room', () => {
    const store = memoryStore({ maxBytes: 200_000, maxStreams: 10_000 })
    for (let i = 0; i < 10_000; i++) store.append(sized(`s${i}`, 'x'.repeat(50)))
    const before = workOf(store)
    for (let i = 0; i < 1000; i++) store.append(sized(`s${i % 7}`, 'x'.repeat(50)))
    expect((workOf(store) - before) / 1000).toBeLessThanOrEqual(6)
    expect(store.bytes).toBeLessThanOrEqual(200_000)
  })

  it('forgets expired streams a few per append, and refuses the rest when touched', () => {
    let now = 0
    const store = memoryStore({ idleTtlMs: 100, now: () => now })
    for (let i = 0; i < 1000; i++) store.append(draft(`s${i}`))
    now = 1000
    const before = workOf(store)
    store.append(draft('fresh'))
    // One append forgets a bounded number of the 1,000 expired streams, not all of them.
    expect(workOf(store) - before).toBeLessThanOrEqual(40)
    expect(store.read('s999').lastId).toBeUndefined()
    for (let i = 0; i < 100; i++) store.append(draft('fresh'))
    expect(store.size).toBe(1)
  })
})

describe('memoryStore: a finished stream', () => {
  it('refuses appends after its terminal event with stream_finished', () => {
    const store = memoryStore()
    store.append(draft('s'))
    store.append(draft('s', true))
    expect(() => store.append(draft('s'))).toThrow(
      expect.objectContaining({ code: 'stream_finished' }),
    )
    expect(store.read('s', { lastEventId: '2' }).events).toEqual([])
    expect(store.read('s').lastId).toBe('2')
  })

  it('refuses everything once closed, and ends its listeners', () => {
    const store = memoryStore()
    const errors: unknown[] = []
    store.listen('s', { event: () => {}, error: (e) => errors.push(e) })
    store.append(draft('s'))
    store.close()
    expect(errors).toHaveLength(1)
    expect(store.bytes).toBe(0)
    expect(() => store.append(draft('s'))).toThrow(/closed/)
    expect(() => store.read('s')).toThrow(/closed/)
  })
})
