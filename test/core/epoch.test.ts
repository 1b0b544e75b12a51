import { describe, expect, it } from 'vitest'
import { formatCursor, newEpoch, parseCursor } from '../../src/core/event-id.js'
import {
  createStreamManager,
  type GapInfo,
  isRunstreamError,
  type MemoryStore,
  memoryStore,
  type RunstreamError,
} from '../../src/index.js'
import { contractCatalog } from '../../src/testing.js'

describe('cursors', () => {
  it('parses a plain id and one qualified with its epoch', () => {
    expect(parseCursor('0')).toEqual({ epoch: undefined, id: 0 })
    expect(parseCursor('1042')).toEqual({ epoch: undefined, id: 1042 })
    expect(parseCursor('lz3kq9a1x0.1042')).toEqual({ epoch: 'lz3kq9a1x0', id: 1042 })
    expect(parseCursor('A.0')).toEqual({ epoch: 'A', id: 0 })
    expect(parseCursor('k3.7')).toEqual({ epoch: 'k3', id: 7 })
    expect(formatCursor('lz3kq9a1x0', '7')).toBe('lz3kq9a1x0.7')
    expect(formatCursor(undefined, '7')).toBe('7')
  })

  it('refuses anything else', () => {
    for (const bad of [
      '',
      '.5',
      '5.',
      'a.b',
      'a.05',
      'a.-5',
      'a..5',
      'a.b.5',
      `${'a'.repeat(33)}.5`,
      'é.5',
      'a b.5',
      'a\n.5',
      'a_b.5',
      '01',
      '1e3',
      // An epoch starts with a letter, so that no cursor reads as a decimal number.
      '1.5',
      '3.1042',
    ]) {
      expect(parseCursor(bad), bad).toBeUndefined()
    }
  })

  it('makes epochs of a letter and 9 base-36 characters that do not repeat', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 10_000; i++) {
      const epoch = newEpoch()
      expect(epoch).toMatch(/^[a-z][0-9a-z]{9}$/)
      seen.add(epoch)
    }
    expect(seen.size).toBe(10_000)
  })
})

/** A manager on a memory store with a clock the test moves. */
function setup(options: Parameters<typeof memoryStore>[0] = {}) {
  const clock = { now: 0 }
  const store = memoryStore({ idleTtlMs: 1000, now: () => clock.now, ...options })
  const errors: RunstreamError[] = []
  const manager = createStreamManager({
    catalog: contractCatalog,
    store,
    onError: (error) => errors.push(error),
  })
  const emit = (stream: string, from: number, to: number) => {
    for (let n = from; n <= to; n++) manager.stream(stream).emit('note', { text: 'x', n })
  }
  return { clock, store, manager, errors, emit }
}

/** What a follower saw: each event as `<n>` of its payload, and each gap where it was told. */
function follower() {
  const seen: (number | GapInfo)[] = []
  return {
    seen,
    onGap: (gap: GapInfo) => seen.push(gap),
    push(data: unknown) {
      seen.push((data as { n: number }).n)
    },
  }
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('memoryStore: epochs', () => {
  it('gives a stream a new epoch when it is forgotten and written again, and its ids start at 1', () => {
    const { clock, store, emit } = setup()
    emit('s', 1, 3)
    const before = store.read('s')
    expect(before.epoch).toMatch(/^[a-z][0-9a-z]{9}$/)
    expect(before.events.every((record) => record.epoch === before.epoch)).toBe(true)
    clock.now = 2000
    emit('s', 4, 4)
    const after = store.read('s')
    expect(after.epoch).not.toBe(before.epoch)
    expect(after.events.map((record) => record.envelope.id)).toEqual(['1'])
    expect(after.events[0]?.epoch).toBe(after.epoch)
  })

  it('reads a cursor of an earlier incarnation from the start of the current one', () => {
    const { clock, store, emit } = setup()
    emit('s', 1, 50)
    const old = store.read('s').epoch as string
    clock.now = 2000
    emit('s', 51, 60)
    const current = store.read('s').epoch as string
    expect(store.read('s', { lastEventId: `${old}.5` }).events).toHaveLength(10)
    expect(store.read('s', { lastEventId: `${current}.5` }).events).toHaveLength(5)
    // A plain cursor is an id of the incarnation held now.
    expect(store.read('s', { lastEventId: '5' }).events).toHaveLength(5)
  })
})

// Each way a memory store forgets a stream that is still written: the follower must get the
// events that follow, told first that the stream started over.
const forgetters: [string, (context: ReturnType<typeof setup>) => void][] = [
  ['idleTtlMs', ({ clock }) => (clock.now += 2000)],
  ['clear(stream)', ({ store }) => store.clear('s')],
  [
    'maxStreams',
    ({ emit }) => {
      emit('other-1', 1, 1)
      emit('other-2', 1, 1)
    },
  ],
]

describe.each(forgetters)('a stream forgotten by %s', (_, forget) => {
  it('is followed live across the restart: told, then given every new event', async () => {
    const context = setup({ maxStreams: 2 })
    const { manager, emit } = context
    const f = follower()
    const sub = manager.subscribe({ stream: 's', onGap: f.onGap })
    emit('s', 1, 5)
    for (let i = 0; i < 5; i++) f.push((await sub.next()).value?.data)
    forget(context)
    emit('s', 6, 8)
    manager.stream('s').emit('done', { ok: true })
    for await (const event of sub) if (event.type === 'note') f.push(event.data)
    expect(f.seen).toEqual([
      1,
      2,
      3,
      4,
      5,
      {
        reason: 'restarted',
        lastEventId: expect.stringMatching(/\.5$/),
        firstId: '1',
        lastId: '1',
      },
      6,
      7,
      8,
    ])
    expect(sub.lastEventId).toMatch(/^[a-z][0-9a-z]{9}\.4$/)
  })

  it('ends a live follower without onGap with cursor_expired, after the events before it', async () => {
    const context = setup({ maxStreams: 2 })
    const { manager, emit } = context
    const sub = manager.subscribe({ stream: 's' })
    emit('s', 1, 3)
    const first = await sub.next()
    const seen: number[] = [(first.value?.data as { n: number } | undefined)?.n ?? 0]
    forget(context)
    emit('s', 4, 6)
    const error = await (async () => {
      try {
        for await (const event of sub) seen.push((event.data as { n: number }).n)
      } catch (failure) {
        return failure
      }
    })()
    expect(seen).toEqual([1, 2, 3])
    expect(isRunstreamError(error, 'cursor_expired')).toBe(true)
    expect((error as RunstreamError).details).toMatchObject({ reason: 'restarted', stream: 's' })
  })

  it.each([
    ['below', 2],
    ['equal to', 3],
    ['above', 9],
  ])(
    'tells a follower resuming at a cursor %s the new last id that the stream started over',
    async (_, at) => {
      const context = setup({ maxStreams: 2 })
      const { manager, store, emit } = context
      emit('s', 1, 10)
      const cursor = formatCursor(store.read('s').epoch, String(at))
      forget(context)
      emit('s', 101, 103)
      const f = follower()
      const sub = manager.subscribe({ stream: 's', lastEventId: cursor, onGap: f.onGap })
      for (let i = 0; i < 3; i++) f.push((await sub.next()).value?.data)
      sub.close()
      expect(f.seen).toEqual([
        { reason: 'restarted', lastEventId: cursor, firstId: '1', lastId: '3' },
        101,
        102,
        103,
      ])
    },
  )
})

describe('a follower of a restarted stream', () => {
  it('is told of the restart only after taking the events queued before it', async () => {
    const { clock, manager, emit } = setup()
    const f = follower()
    const sub = manager.subscribeRecords({ stream: 's', onGap: f.onGap })
    emit('s', 1, 1)
    f.push((await sub.next()).value?.envelope.data)
    // Queued, not taken: the gap must wait for them.
    emit('s', 2, 4)
    clock.now = 5000
    emit('s', 5, 7)
    // A batch stops before the event that follows the gap; the next call tells it.
    const batch = sub.takeQueued()
    for (const record of batch) f.push(record.envelope.data)
    expect(f.seen).toEqual([1, 2, 3, 4])
    f.push((await sub.next()).value?.envelope.data)
    for (const record of sub.takeQueued()) f.push(record.envelope.data)
    sub.close()
    expect(f.seen).toEqual([1, 2, 3, 4, expect.objectContaining({ reason: 'restarted' }), 5, 6, 7])
  })

  it('resuming with a plain cursor reads it as an id of the incarnation held now', async () => {
    const { clock, manager, emit } = setup()
    emit('s', 1, 10)
    clock.now = 2000
    emit('s', 101, 120)
    const f = follower()
    const sub = manager.subscribe({ stream: 's', lastEventId: '15', onGap: f.onGap })
    f.push((await sub.next()).value?.data)
    // Qualified once the store said which incarnation the plain id belongs to.
    expect(sub.lastEventId).toMatch(/^[a-z][0-9a-z]{9}\.16$/)
    sub.close()
    expect(f.seen).toEqual([116])
  })

  it('replays a restart that happened while it was replaying, with the gap in its place', async () => {
    const store: MemoryStore = memoryStore()
    const manager = createStreamManager({ catalog: contractCatalog, store, onError: () => {} })
    for (let n = 1; n <= 30; n++) manager.stream('s').emit('note', { text: 'x', n })
    const f = follower()
    // Pages of 5: the replay reads six times, and the stream starts over after its first page.
    const sub = manager.subscribe({ stream: 's', maxQueuedEvents: 5, onGap: f.onGap })
    f.push((await sub.next()).value?.data)
    store.clear('s')
    for (let n = 101; n <= 103; n++) manager.stream('s').emit('note', { text: 'x', n })
    manager.stream('s').emit('done', { ok: true })
    for await (const event of sub) if (event.type === 'note') f.push(event.data)
    const gapAt = f.seen.findIndex((item) => typeof item === 'object')
    expect(f.seen.slice(0, gapAt)).toEqual(range(1, gapAt))
    expect(f.seen[gapAt]).toMatchObject({ reason: 'restarted' })
    expect(f.seen.slice(gapAt + 1)).toEqual([101, 102, 103])
  })
})
