import { afterEach, describe, expect, it } from 'vitest'
import {
  createStreamManager,
  type EventRecord,
  type EventStore,
  type GapInfo,
} from '../../src/index.js'
import { contractCatalog } from './transport.js'

/** What a store under test offers the contract. */
export interface StoreHarness {
  /** A store; `options.maxEventsPerStream` is the retention the test needs (cap on events per stream). */
  store: EventStore
  /** Releases the store and anything else the harness started. */
  close(): Promise<void>
}

/** Creates a store with a retention of at least (and ideally exactly) `maxEventsPerStream` events. */
export type StoreFactory = (options: {
  maxEventsPerStream: number
}) => Promise<StoreHarness> | StoreHarness

/** Polls `check` until it holds; fails after 10 s saying `what`. Never a fixed sleep. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after 10000 ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

let unique = 0
/** A stream name no other test (or earlier run against a shared Redis) has used. */
export function freshStream(prefix = 'contract'): string {
  unique++
  return `${prefix}:${Date.now().toString(36)}-${process.pid}-${unique}`
}

async function collect(
  iterable: AsyncIterable<EventRecord>,
  count: number,
  onRecord?: (received: number) => void,
): Promise<EventRecord[]> {
  const out: EventRecord[] = []
  if (count === 0) return out
  for await (const record of iterable) {
    out.push(record)
    onRecord?.(out.length)
    if (out.length >= count) break
  }
  return out
}

/**
 * The behaviour every event store must show, through the StreamManager that uses it.
 * Run it from a test file: `storeContract('memory', ({ maxEventsPerStream }) => ({ store: memoryStore({ maxEventsPerStream }), close: async () => {} }))`.
 */
export function storeContract(name: string, create: StoreFactory): void {
  describe(`store contract: ${name}`, () => {
    const open: StoreHarness[] = []
    afterEach(async () => {
      for (const harness of open.splice(0)) await harness.close()
    })
    async function setup(maxEventsPerStream = 1000) {
      const harness = await create({ maxEventsPerStream })
      open.push(harness)
      const errors: unknown[] = []
      const manager = createStreamManager({
        catalog: contractCatalog,
        store: harness.store,
        onError: (e) => errors.push(e),
      })
      return { manager, store: harness.store, errors }
    }

    it('gives ids 1, 2, 3… per stream, in emit order, and reads them back', async () => {
      const { manager, store, errors } = await setup()
      const a = freshStream()
      const b = freshStream()
      for (let n = 1; n <= 30; n++) {
        manager.stream(a).emit('note', { text: 'a', n })
        manager.stream(b).emit('note', { text: 'b', n })
      }
      await manager.flush()
      const read = await store.read(a)
      expect(read.events.map((r) => r.envelope.id)).toEqual(
        Array.from({ length: 30 }, (_, i) => String(i + 1)),
      )
      expect(read.events.map((r) => (r.envelope.data as { n: number }).n)).toEqual(
        Array.from({ length: 30 }, (_, i) => i + 1),
      )
      expect(read.firstId).toBe('1')
      expect(read.lastId).toBe('30')
      expect(read.finished).toBe(false)
      expect((await store.read(b)).lastId).toBe('30')
      expect(errors).toEqual([])
    })

    it('returns the same envelope bytes that were emitted', async () => {
      const { manager, store } = await setup()
      const stream = freshStream()
      const seen: string[] = []
      const sub = manager.subscribe({ stream })
      const got = collect(sub, 1)
      manager.stream(stream).emit('note', { text: 'é🚀\n"', n: 1 })
      await manager.flush()
      const [live] = await got
      seen.push(live!.json)
      const [stored] = (await store.read(stream)).events
      expect(stored!.json).toBe(seen[0])
      expect(JSON.parse(stored!.json)).toEqual(stored!.envelope)
    })

    it('reads after a cursor, in pages', async () => {
      const { manager, store } = await setup()
      const stream = freshStream()
      for (let n = 1; n <= 25; n++) manager.stream(stream).emit('note', { text: 'x', n })
      await manager.flush()
      const page = await store.read(stream, { after: '10', limit: 5 })
      expect(page.events.map((r) => r.envelope.id)).toEqual(['11', '12', '13', '14', '15'])
      expect(page.hasMore).toBe(true)
      const rest = await store.read(stream, { after: '20' })
      expect(rest.events.map((r) => r.envelope.id)).toEqual(['21', '22', '23', '24', '25'])
      expect(rest.hasMore).toBe(false)
      expect((await store.read(stream, { after: '25' })).events).toEqual([])
    })

    it('marks a stream finished after its terminal event', async () => {
      const { manager, store } = await setup()
      const stream = freshStream()
      manager.stream(stream).emit('note', { text: 'x', n: 1 })
      manager.stream(stream).emit('done', { ok: true })
      await manager.flush()
      const read = await store.read(stream)
      expect(read.finished).toBe(true)
      expect(read.events.at(-1)?.terminal).toBe(true)
    })

    it('replays then goes live with no gap and no duplicate at the seam', async () => {
      const { manager } = await setup()
      const stream = freshStream()
      const handle = manager.stream(stream)
      for (let n = 1; n <= 100; n++) handle.emit('note', { text: 'x', n })
      const sub = manager.subscribe({ stream, after: '40' })
      const got = collect(sub, 161)
      // Emits while the subscriber is still replaying.
      for (let n = 101; n <= 200; n++) handle.emit('note', { text: 'x', n })
      handle.emit('done', { ok: true })
      const records = await got
      expect(records.map((r) => Number(r.envelope.id))).toEqual(
        Array.from({ length: 161 }, (_, i) => i + 41),
      )
      expect(records.at(-1)?.envelope.type).toBe('done')
    })

    it('ends a subscription after the terminal event', async () => {
      const { manager } = await setup()
      const stream = freshStream()
      manager.stream(stream).emit('note', { text: 'x', n: 1 })
      manager.stream(stream).emit('done', { ok: true })
      await manager.flush()
      const ids: string[] = []
      for await (const record of manager.subscribe({ stream })) ids.push(record.envelope.id)
      expect(ids).toEqual(['1', '2'])
    })

    it('delivers live events to many subscribers of one stream', async () => {
      const { manager } = await setup()
      const stream = freshStream()
      const received = Array.from({ length: 20 }, () => 0)
      const subs = received.map((_, i) =>
        collect(manager.subscribe({ stream }), 11, (count) => {
          received[i] = count
        }),
      )
      // Every subscriber has the first event before the others are emitted: they come live.
      manager.stream(stream).emit('note', { text: 'x', n: 1 })
      await eventually(() => received.every((count) => count === 1), 'the first event everywhere')
      for (let n = 2; n <= 10; n++) manager.stream(stream).emit('note', { text: 'x', n })
      manager.stream(stream).emit('done', { ok: true })
      for (const records of await Promise.all(subs)) {
        expect(records.map((r) => r.envelope.id)).toEqual(
          Array.from({ length: 11 }, (_, i) => String(i + 1)),
        )
      }
    })

    it('reports a cursor older than retention instead of skipping silently', async () => {
      const { manager } = await setup(10)
      const stream = freshStream()
      for (let n = 1; n <= 50; n++) manager.stream(stream).emit('note', { text: 'x', n })
      await manager.flush()
      const strict = manager.subscribe({ stream, after: '5' })
      await expect(strict.next()).rejects.toMatchObject({ code: 'cursor_expired' })

      const gaps: GapInfo[] = []
      const lenient = manager.subscribe({ stream, after: '5', onGap: (gap) => gaps.push(gap) })
      const first = await lenient.next()
      lenient.close()
      expect(gaps).toHaveLength(1)
      expect(gaps[0]).toMatchObject({ reason: 'expired', after: '5' })
      expect(Number(gaps[0]!.firstId)).toBeGreaterThan(6)
      expect(first.value?.envelope.id).toBe(gaps[0]!.firstId)
    })

    it('reports a cursor ahead of the stream as unknown', async () => {
      const { manager } = await setup()
      const stream = freshStream()
      manager.stream(stream).emit('note', { text: 'x', n: 1 })
      await manager.flush()
      const gaps: GapInfo[] = []
      const sub = manager.subscribe({ stream, after: '99', onGap: (gap) => gaps.push(gap) })
      const first = await sub.next()
      sub.close()
      expect(gaps[0]).toMatchObject({ reason: 'unknown', after: '99', lastId: '1' })
      expect(first.value?.envelope.id).toBe('1')
    })

    it('refuses a malformed cursor', async () => {
      const { manager } = await setup()
      expect(() => manager.subscribe({ stream: freshStream(), after: '1e3' })).toThrow(
        /Invalid cursor/,
      )
    })

    it('stops delivering to a subscription that was closed', async () => {
      const { manager } = await setup()
      const stream = freshStream()
      const sub = manager.subscribe({ stream })
      // Live first: it has had an event, and waits for the next one.
      manager.stream(stream).emit('note', { text: 'x', n: 1 })
      expect((await sub.next()).value?.envelope.id).toBe('1')
      const pending = sub.next()
      sub.close()
      expect(await pending).toEqual({ value: undefined, done: true })
      manager.stream(stream).emit('note', { text: 'x', n: 2 })
      await manager.flush()
      expect(await sub.next()).toEqual({ value: undefined, done: true })
    })
  })
}
