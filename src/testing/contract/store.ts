import assert from 'node:assert/strict'
import type { EventRecord } from '../../core/envelope.js'
import { isRunstreamError, type RunstreamError } from '../../core/errors.js'
import type { GapInfo } from '../../core/gap.js'
import { createStreamManager } from '../../core/manager.js'
import type { EventStore } from '../../core/store.js'
import { contractCatalog } from './catalog.js'
import { type ContractCheck, range, take, within } from './check.js'
import { runChecks } from './store-runs.js'

/** What a store under test offers the contract. */
export interface StoreHarness {
  /** The store under test. */
  store: EventStore
  /** Releases the store and anything else the harness started. Called once per check. */
  close(): Promise<void>
  /**
   * Makes the store forget one stream, as its expiry would (or a restart that loses its data),
   * so that the next append starts it over. Optional: the checks that need it are skipped
   * without it.
   */
  forget?(stream: string): Promise<void> | void
}

/**
 * Creates a fresh store for one check, keeping (at least, ideally exactly) `maxEventsPerStream`
 * events per stream.
 */
export type StoreFactory = (options: {
  maxEventsPerStream: number
}) => Promise<StoreHarness> | StoreHarness

let unique = 0
// A stream name no other check (or earlier run against a shared server) has used.
function freshStream(): string {
  unique++
  return `contract:${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}-${unique}`
}

const WAIT_MS = 10_000

/**
 * The behaviour every event store must show, through the StreamManager that uses it: ids, order,
 * replay then live with no gap and no duplicate, gaps reported and never silent, and a finished
 * stream that refuses further appends. Each check creates its own store with `create` and closes
 * it afterwards.
 *
 * @example
 * ```ts
 * import { memoryStore } from 'runstream'
 * import { storeContract } from 'runstream/testing'
 *
 * describe('my store', () => {
 *   for (const check of storeContract(({ maxEventsPerStream }) => ({
 *     store: memoryStore({ maxEventsPerStream }),
 *     close: async () => {},
 *   }))) it(check.name, check.run)
 * })
 * ```
 */
export function storeContract(create: StoreFactory): ContractCheck[] {
  const check = (
    name: string,
    body: (context: Context) => Promise<void>,
    maxEventsPerStream = 1000,
  ): ContractCheck => ({
    name,
    async run() {
      const harness = await create({ maxEventsPerStream })
      try {
        await body(context(harness))
      } finally {
        await harness.close()
      }
    },
  })

  return [
    check('gives ids 1, 2, 3… per stream, in emit order, and reads them back', async (c) => {
      const a = freshStream()
      const b = freshStream()
      for (let n = 1; n <= 30; n++) {
        c.manager.stream(a).emit('note', { text: 'a', n })
        c.manager.stream(b).emit('note', { text: 'b', n })
      }
      await c.manager.flush()
      const read = await c.store.read(a)
      assert.deepEqual(ids(read.events), range(1, 30))
      assert.deepEqual(
        read.events.map((r) => (r.envelope.data as { n: number }).n),
        range(1, 30),
      )
      assert.equal(read.firstId, '1')
      assert.equal(read.lastId, '30')
      assert.equal(read.finished, false)
      assert.equal((await c.store.read(b)).lastId, '30')
      assert.deepEqual(c.errors, [])
    }),

    check('returns the same envelope bytes that were emitted, live and read back', async (c) => {
      const stream = freshStream()
      const live = take(c.manager.subscribeRecords({ stream }), 1)
      c.manager.stream(stream).emit('note', { text: 'é🚀\n"\u2028', n: 1 })
      await c.manager.flush()
      const [received] = await within(live, WAIT_MS, 'live event')
      const [stored] = (await c.store.read(stream)).events
      assert.ok(received !== undefined && stored !== undefined)
      assert.equal(stored.json, received.json)
      assert.deepEqual(JSON.parse(stored.json), stored.envelope)
    }),

    check('reads after a cursor (lastEventId), in pages', async (c) => {
      const stream = freshStream()
      for (let n = 1; n <= 25; n++) c.manager.stream(stream).emit('note', { text: 'x', n })
      await c.manager.flush()
      const page = await c.store.read(stream, { lastEventId: '10', limit: 5 })
      assert.deepEqual(ids(page.events), range(11, 15))
      assert.equal(page.hasMore, true)
      const rest = await c.store.read(stream, { lastEventId: '20' })
      assert.deepEqual(ids(rest.events), range(21, 25))
      assert.equal(rest.hasMore, false)
      assert.deepEqual((await c.store.read(stream, { lastEventId: '25' })).events, [])
    }),

    check('marks a stream finished after its terminal event', async (c) => {
      const stream = freshStream()
      c.manager.stream(stream).emit('note', { text: 'x', n: 1 })
      c.manager.stream(stream).emit('done', { ok: true })
      await c.manager.flush()
      const read = await c.store.read(stream)
      assert.equal(read.finished, true)
      assert.equal(read.events.at(-1)?.terminal, true)
    }),

    check('refuses appends after the terminal event, from any producer', async (c) => {
      const stream = freshStream()
      c.manager.stream(stream).emit('note', { text: 'x', n: 1 })
      c.manager.stream(stream).emit('done', { ok: true })
      await c.manager.flush()
      // A second producer that does not know the stream ended.
      const late = c.secondManager()
      late.manager.stream(stream).emit('note', { text: 'late', n: 2 })
      late.manager.stream(stream).emit('done', { ok: false })
      await late.manager.flush()
      assert.deepEqual(
        late.errors.map((e) => e.code),
        ['stream_finished', 'stream_finished'],
      )
      const read = await c.store.read(stream)
      assert.deepEqual(ids(read.events), [1, 2])
      assert.equal(read.lastId, '2')
      assert.deepEqual((await c.store.read(stream, { lastEventId: '2' })).events, [])
      // A resume at the terminal id ends at once, with nothing.
      const resumed: string[] = []
      await within(
        (async () => {
          for await (const event of c.manager.subscribe({ stream, lastEventId: '2' })) {
            resumed.push(event.id)
          }
        })(),
        WAIT_MS,
        'end of a subscription resumed at the terminal id',
      )
      assert.deepEqual(resumed, [])
    }),

    check('replays then goes live with no gap and no duplicate at the seam', async (c) => {
      const stream = freshStream()
      const handle = c.manager.stream(stream)
      for (let n = 1; n <= 100; n++) handle.emit('note', { text: 'x', n })
      await c.manager.flush()
      const sub = c.manager.subscribe({ stream, lastEventId: '40', maxQueuedEvents: 10 })
      const first = await within(sub.next(), WAIT_MS, 'first replayed event')
      assert.equal(first.value?.id, '41')
      // Emitted while the subscriber is still replaying (it reads pages of at most 10).
      for (let n = 101; n <= 200; n++) handle.emit('note', { text: 'x', n })
      handle.emit('done', { ok: true })
      const rest: string[] = []
      await within(
        (async () => {
          for await (const event of sub) rest.push(event.id)
        })(),
        WAIT_MS,
        'the rest of the stream',
      )
      assert.deepEqual([first.value.id, ...rest].map(Number), range(41, 201))
    }),

    check('ends a subscription after the terminal event', async (c) => {
      const stream = freshStream()
      c.manager.stream(stream).emit('note', { text: 'x', n: 1 })
      c.manager.stream(stream).emit('done', { ok: true })
      await c.manager.flush()
      const seen: string[] = []
      await within(
        (async () => {
          for await (const event of c.manager.subscribe({ stream })) seen.push(event.id)
        })(),
        WAIT_MS,
        'end of the subscription',
      )
      assert.deepEqual(seen, ['1', '2'])
    }),

    check('delivers live events to many subscribers of one stream', async (c) => {
      const stream = freshStream()
      const subs = Array.from({ length: 20 }, () => take(c.manager.subscribe({ stream }), 11))
      for (let n = 1; n <= 10; n++) c.manager.stream(stream).emit('note', { text: 'x', n })
      c.manager.stream(stream).emit('done', { ok: true })
      for (const events of await within(Promise.all(subs), WAIT_MS, 'events of 20 subscribers')) {
        assert.deepEqual(
          events.map((e) => Number(e.id)),
          range(1, 11),
        )
      }
    }),

    check(
      'reports a cursor older than retention instead of skipping silently',
      async (c) => {
        const stream = freshStream()
        for (let n = 1; n <= 50; n++) c.manager.stream(stream).emit('note', { text: 'x', n })
        await c.manager.flush()
        const strict = c.manager.subscribe({ stream, lastEventId: '5' })
        await assert.rejects(within(strict.next(), WAIT_MS, 'cursor_expired'), (error) =>
          isRunstreamError(error, 'cursor_expired'),
        )
        const gaps: GapInfo[] = []
        const lenient = c.manager.subscribe({
          stream,
          lastEventId: '5',
          onGap: (gap) => gaps.push(gap),
        })
        const first = await within(lenient.next(), WAIT_MS, 'first event after the gap')
        lenient.close()
        assert.equal(gaps.length, 1)
        const [gap] = gaps as [GapInfo]
        assert.equal(gap.reason, 'expired')
        assert.equal(gap.lastEventId, '5')
        assert.equal(gap.lastId, '50')
        assert.ok(Number(gap.firstId) > 6, `firstId ${gap.firstId} should be past the cursor`)
        assert.equal(first.value?.id, gap.firstId)
      },
      10,
    ),

    check('reports a cursor ahead of the stream as unknown', async (c) => {
      const stream = freshStream()
      c.manager.stream(stream).emit('note', { text: 'x', n: 1 })
      await c.manager.flush()
      const gaps: GapInfo[] = []
      const sub = c.manager.subscribe({ stream, lastEventId: '99', onGap: (gap) => gaps.push(gap) })
      const first = await within(sub.next(), WAIT_MS, 'first event after the gap')
      sub.close()
      assert.deepEqual(gaps, [{ reason: 'unknown', lastEventId: '99', firstId: '1', lastId: '1' }])
      assert.equal(first.value?.id, '1')
    }),

    check('gives every event of an incarnation its epoch, on append, read and live', async (c) => {
      const stream = freshStream()
      const live = take(c.manager.subscribeRecords({ stream }), 2)
      c.manager.stream(stream).emit('note', { text: 'x', n: 1 })
      c.manager.stream(stream).emit('note', { text: 'x', n: 2 })
      await c.manager.flush()
      const read = await c.store.read(stream)
      assert.match(String(read.epoch), /^[A-Za-z][0-9A-Za-z]{0,31}$/)
      assert.deepEqual(
        read.events.map((record) => record.epoch),
        [read.epoch, read.epoch],
      )
      const received = await within(live, WAIT_MS, 'live events')
      assert.deepEqual(
        received.map((record) => record.epoch),
        [read.epoch, read.epoch],
      )
      assert.equal((await c.store.read(freshStream())).epoch, undefined)
    }),

    check('reads a cursor of another epoch from the start, reported as restarted', async (c) => {
      const stream = freshStream()
      for (let n = 1; n <= 5; n++) c.manager.stream(stream).emit('note', { text: 'x', n })
      await c.manager.flush()
      const page = await c.store.read(stream, { lastEventId: 'zz0ther.3' })
      assert.deepEqual(ids(page.events), range(1, 5))
      const epoch = String(page.epoch)
      assert.deepEqual(
        ids((await c.store.read(stream, { lastEventId: `${epoch}.3` })).events),
        [4, 5],
      )
      const gaps: GapInfo[] = []
      const sub = c.manager.subscribe({
        stream,
        lastEventId: 'zz0ther.3',
        onGap: (gap) => gaps.push(gap),
      })
      const first = await within(sub.next(), WAIT_MS, 'first event after the gap')
      sub.close()
      assert.deepEqual(gaps, [
        { reason: 'restarted', lastEventId: 'zz0ther.3', firstId: '1', lastId: '5' },
      ])
      assert.equal(first.value?.id, '1')
    }),

    check(
      'starts a forgotten stream over at id 1 in a new epoch, and tells its followers',
      async (c) => {
        if (c.forget === undefined) return
        const stream = freshStream()
        const gaps: GapInfo[] = []
        const live = c.manager.subscribe({ stream, onGap: (gap) => gaps.push(gap) })
        for (let n = 1; n <= 3; n++) c.manager.stream(stream).emit('note', { text: 'x', n })
        await c.manager.flush()
        const before = await c.store.read(stream)
        const seen: number[] = []
        for (let i = 0; i < 3; i++) {
          const next = await within(live.next(), WAIT_MS, 'events of the first incarnation')
          seen.push((next.value?.data as { n: number } | undefined)?.n ?? 0)
        }
        const cursor = live.lastEventId as string
        await c.forget(stream)
        for (let n = 101; n <= 102; n++) c.manager.stream(stream).emit('note', { text: 'x', n })
        c.manager.stream(stream).emit('done', { ok: true })
        await c.manager.flush()
        const after = await c.store.read(stream)
        assert.deepEqual(ids(after.events), [1, 2, 3])
        assert.notEqual(after.epoch, before.epoch)
        // The live follower: told once, just before the first event of the new incarnation.
        await within(
          (async () => {
            for await (const event of live) {
              if (event.type === 'note') seen.push((event.data as { n: number }).n)
            }
          })(),
          WAIT_MS,
          'the new incarnation, live',
        )
        assert.deepEqual(seen, [1, 2, 3, 101, 102])
        assert.equal(gaps.length, 1)
        assert.equal(gaps[0]?.reason, 'restarted')
        // A follower resuming at its cursor of the first incarnation: told, then given it all.
        const resumedGaps: GapInfo[] = []
        const resumed: string[] = []
        for await (const event of c.manager.subscribe({
          stream,
          lastEventId: cursor,
          onGap: (gap) => resumedGaps.push(gap),
        })) {
          resumed.push(event.id)
        }
        assert.deepEqual(resumed, ['1', '2', '3'])
        assert.deepEqual(resumedGaps, [
          { reason: 'restarted', lastEventId: cursor, firstId: '1', lastId: '3' },
        ])
      },
    ),

    check('refuses a malformed cursor', async (c) => {
      assert.throws(
        () => c.manager.subscribe({ stream: freshStream(), lastEventId: '1e3' }),
        (error) => isRunstreamError(error, 'invalid_cursor'),
      )
    }),

    check('stops delivering to a subscription that was closed', async (c) => {
      const stream = freshStream()
      const sub = c.manager.subscribe({ stream })
      c.manager.stream(stream).emit('note', { text: 'x', n: 1 })
      // Live: it has received an event, and waits for the next.
      assert.equal((await within(sub.next(), WAIT_MS, 'first event')).value?.id, '1')
      const pending = sub.next()
      sub.close()
      assert.deepEqual(await within(pending, WAIT_MS, 'end of the closed subscription'), {
        value: undefined,
        done: true,
      })
      c.manager.stream(stream).emit('note', { text: 'x', n: 2 })
      await c.manager.flush()
      assert.deepEqual(await sub.next(), { value: undefined, done: true })
    }),

    ...runChecks(check),
  ]
}

interface Context {
  readonly store: EventStore
  /** The harness's `forget`, when it has one. */
  readonly forget: ((stream: string) => Promise<void> | void) | undefined
  readonly manager: ReturnType<typeof managerOn>['manager']
  readonly errors: RunstreamError[]
  /** Another manager (another producer) on the same store. */
  secondManager(): ReturnType<typeof managerOn>
}

function context(harness: StoreHarness): Context {
  const { store } = harness
  const first = managerOn(store)
  const forget = harness.forget?.bind(harness)
  return { store, forget, ...first, secondManager: () => managerOn(store) }
}

// A manager on a store it does not own: the harness closes the store, not the manager.
function managerOn(store: EventStore) {
  const errors: RunstreamError[] = []
  const manager = createStreamManager({
    catalog: contractCatalog,
    store,
    onError: (error) => errors.push(error),
  })
  return { manager, errors }
}

function ids(records: readonly EventRecord[]): number[] {
  return records.map((record) => Number(record.envelope.id))
}
