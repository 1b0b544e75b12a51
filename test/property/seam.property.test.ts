import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseCursor } from '../../src/core/event-id.js'
import { createHub } from '../../src/core/hub.js'
import { createSubscription } from '../../src/core/subscription.js'
import {
  createStreamManager,
  type EventRecord,
  type EventStore,
  executionCatalog,
  type GapInfo,
  type MemoryStore,
  memoryStore,
  type RunstreamError,
  type StreamHandle,
  type StreamManager,
} from '../../src/index.js'

// The replay-then-live seam under every interleaving fast-check's scheduler finds: the store is
// asynchronous like Redis (a read's snapshot, its reply, a registration and each live delivery
// are separate steps in any order), subscribers join at random points with random cursors,
// random queue bounds and page sizes, and some leave early.

const STREAM = 'workflow:seam'

/**
 * A store whose every step waits for the scheduler. It keeps the contract of `EventStore`:
 * appends apply in call order, and live deliveries to one listener keep their order and come
 * after the append (as Redis Pub/Sub does after its script), at any time relative to reads.
 */
function scheduledStore(s: fc.Scheduler, inner: MemoryStore): EventStore & { listening(): number } {
  let appends: Promise<unknown> = Promise.resolve()
  let registered = 0
  const step = (label: string) => s.schedule(Promise.resolve(), label)
  return {
    listening: () => registered,
    append(draft) {
      const appended = appends.then(() => step('append')).then(() => inner.append(draft))
      appends = appended
      return appended
    },
    async read(stream, options) {
      await step('read: snapshot')
      const page = inner.read(stream, options)
      await step('read: reply')
      return page
    },
    async listen(stream, listener) {
      await step('listen: register')
      let open = true
      let deliveries: Promise<void> = Promise.resolve()
      const stop = inner.listen(stream, {
        event(record) {
          deliveries = deliveries
            .then(() => step(`deliver ${record.envelope.id}`))
            .then(() => {
              if (open) listener.event(record)
            })
        },
      })
      registered++
      await step('listen: reply')
      return () => {
        if (!open) return
        open = false
        registered--
        stop()
      }
    },
  }
}

/** One subscriber of a program: when it joins, after which cursor, and whether it leaves early. */
interface Watcher {
  /** Joins after this many emit steps. */
  joinAt: number
  /** Its cursor, as a fraction of the events stored when it joins (`undefined`: no cursor). */
  cursor: number | undefined
  /** Leaves after this many events (`undefined`: stays to the terminal event). */
  leaveAfter: number | undefined
  maxQueue: number
  pageSize: number
}

const watcher: fc.Arbitrary<Watcher> = fc.record({
  joinAt: fc.nat({ max: 8 }),
  cursor: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
  leaveAfter: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined, freq: 4 }),
  maxQueue: fc.integer({ min: 1, max: 12 }),
  pageSize: fc.integer({ min: 1, max: 5 }),
})

interface Outcome {
  watcher: Watcher
  ids: number[]
  after: number
  gaps: GapInfo[]
  error: RunstreamError | undefined
  finished: boolean
}

describe('the replay-then-live seam', () => {
  it('delivers each event once, in order, from the cursor to the end, under any interleaving, to a consumer that keeps up whatever its queue bound', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 8 }),
        fc.array(watcher, { minLength: 1, maxLength: 5 }),
        async (s, bursts, watchers) => {
          const inner = memoryStore()
          const store = scheduledStore(s, inner)
          const hubs = new Map<string, ReturnType<typeof createHub>>()
          const hubFor = () => {
            let hub = hubs.get(STREAM)
            if (hub === undefined) {
              const created = createHub(store, STREAM, () => {
                if (hubs.get(STREAM) === created) hubs.delete(STREAM)
              })
              hub = created
              hubs.set(STREAM, hub)
            }
            return hub
          }
          const manager = createStreamManager({ catalog: executionCatalog, store })
          const producer = manager.stream(STREAM)
          const outcomes: Outcome[] = []
          const consumers: Promise<void>[] = []

          const join = (w: Watcher) => {
            const outcome = joining(w, inner)
            outcomes.push(outcome)
            const subscription = createSubscription(
              {
                store,
                hub: hubFor(),
                maxQueuedEvents: w.maxQueue,
                pageSize: w.pageSize,
                envelopes: false,
              },
              {
                stream: STREAM,
                lastEventId: w.cursor === undefined ? undefined : String(outcome.after),
                onGap: (gap) => outcome.gaps.push(gap),
              },
            )
            consumers.push(consume(subscription as AsyncIterable<EventRecord>, w, outcome))
          }

          const driver = drive(s, bursts, watchers, join, producer, manager)
          await s.waitFor(driver)
          const emitted = await driver
          await s.waitIdle()
          await Promise.all(consumers)

          const total = emitted
          for (const outcome of outcomes) {
            const w = outcome.watcher
            expect(outcome.finished).toBe(true)
            expect(outcome.gaps).toEqual([])
            // A consumer that keeps up is never ended, however small its queue bound: the
            // replay is paced by what it takes.
            expect(outcome.error).toBeUndefined()
            const end =
              w.leaveAfter === undefined ? total : Math.min(total, outcome.after + w.leaveAfter)
            expect(outcome.ids).toEqual(range(outcome.after + 1, end))
          }
          // Everyone left: no registration with the store is left behind.
          expect(store.listening()).toBe(0)
        },
      ),
      { numRuns: 200 },
    )
  })
})

describe('retention shorter than the stream', () => {
  it('is never a silent gap: a subscriber gets contiguous ids, told of any jump from its cursor', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 8 }),
        fc.array(watcher, { minLength: 1, maxLength: 4 }),
        async (s, retention, bursts, watchers) => {
          const inner = memoryStore({ maxEventsPerStream: retention })
          const store = scheduledStore(s, inner)
          const manager = createStreamManager({ catalog: executionCatalog, store })
          const producer = manager.stream(STREAM)
          const outcomes: Outcome[] = []
          const consumers: Promise<void>[] = []
          const join = (w: Watcher) => {
            const outcome = joining(w, inner)
            outcomes.push(outcome)
            const subscription = manager.subscribeRecords({
              stream: STREAM,
              lastEventId: String(outcome.after),
              maxQueuedEvents: w.maxQueue,
              onGap: (gap) => outcome.gaps.push(gap),
            })
            consumers.push(consume(subscription as AsyncIterable<EventRecord>, w, outcome))
          }
          const driver = drive(s, bursts, watchers, join, producer, manager)
          await s.waitFor(driver)
          const emitted = await driver
          await s.waitIdle()
          await Promise.all(consumers)

          for (const outcome of outcomes) {
            const { ids, gaps, error, after, watcher: w } = outcome
            expect(outcome.finished).toBe(true)
            expect(gaps.length).toBeLessThanOrEqual(1)
            if (ids.length > 0) {
              expect(ids).toEqual(range(ids[0] as number, ids.at(-1) as number))
              // A jump from a cursor is always announced (without one, "all that is held" is asked).
              if (after > 0 && ids[0] !== after + 1) expect(gaps).toHaveLength(1)
              if (gaps.length === 1) expect(ids[0]).toBeGreaterThanOrEqual(Number(gaps[0]?.firstId))
            }
            if (error !== undefined) {
              // Ended only for falling behind retention: it says where to resume.
              expect(error.code).toBe('subscriber_overflow')
              // (The cursor's id: it is qualified with the stream's epoch.)
              const cursor = parseCursor(String(error.details?.lastEventId ?? '0'))
              expect(cursor?.id).toBe(ids.at(-1) ?? after)
            } else if (w.leaveAfter === undefined) {
              expect(ids.at(-1)).toBe(emitted)
            }
          }
          expect(store.listening()).toBe(0)
        },
      ),
      { numRuns: 200 },
    )
  })
})

/** The outcome of `w` joining now, its cursor taken as a fraction of what `inner` holds. */
function joining(w: Watcher, inner: MemoryStore): Outcome {
  const stored = Number(inner.read(STREAM, { limit: 1 }).lastId ?? 0)
  const after = w.cursor === undefined ? 0 : Math.floor(w.cursor * stored)
  return { watcher: w, ids: [], after, gaps: [], error: undefined, finished: false }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i)
}

/** Reads `subscription` into `outcome` until it ends, fails, or its watcher leaves. */
async function consume(
  subscription: AsyncIterable<EventRecord>,
  w: Watcher,
  outcome: Outcome,
): Promise<void> {
  try {
    for await (const record of subscription) {
      outcome.ids.push(Number(record.envelope.id))
      if (w.leaveAfter !== undefined && outcome.ids.length >= w.leaveAfter) break
    }
  } catch (error) {
    outcome.error = error as RunstreamError
  }
  outcome.finished = true
}

/**
 * Emits the bursts under the scheduler, letting each watcher join at its step, then the terminal
 * event. Returns how many events were emitted.
 */
async function drive(
  s: fc.Scheduler,
  bursts: readonly number[],
  watchers: readonly Watcher[],
  join: (w: Watcher) => void,
  producer: StreamHandle<typeof executionCatalog>,
  manager: StreamManager,
): Promise<number> {
  let emitted = 0
  for (const [step, burst] of bursts.entries()) {
    for (const w of watchers) if (w.joinAt === step) join(w)
    await s.schedule(Promise.resolve(), `emit ${burst}`)
    for (let i = 0; i < burst; i++) producer.emit('llm_chunk', { text: `${++emitted}` })
  }
  for (const w of watchers) if (w.joinAt >= bursts.length) join(w)
  await s.schedule(Promise.resolve(), 'complete')
  producer.emit('complete', { status: 'SUCCESS' })
  emitted++
  await manager.flush()
  return emitted
}
