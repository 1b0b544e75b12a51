import { describe, expect, test } from 'vitest'
import { createEventQueue } from '../../src/client/queue.js'

const take = async (queue: { iterator: AsyncIterator<{ n: number }> }, count: number) => {
  const seen: number[] = []
  for (let i = 0; i < count; i++) {
    const next = await queue.iterator.next()
    if (next.done) break
    seen.push(next.value.n)
  }
  return seen
}

describe('the event queue', () => {
  test('keeps order across drains and reuse, with marks called when the consumer reaches them', async () => {
    const queue = createEventQueue<{ n: number }>(3, () => undefined)
    const marks: string[] = []
    queue.push({ n: 1 })
    queue.push({ n: 2 })
    queue.mark(() => marks.push('after 2'))
    queue.push({ n: 3 })
    expect(queue.full).toBe(true)
    expect(await take(queue, 2)).toEqual([1, 2])
    expect(marks).toEqual([])
    expect(queue.full).toBe(false)
    expect(await take(queue, 1)).toEqual([3])
    expect(marks).toEqual(['after 2'])
    // Drained: the list is reused from its start, and a mark with nothing queued runs at once.
    queue.mark(() => marks.push('empty'))
    expect(marks).toEqual(['after 2', 'empty'])
    queue.push({ n: 4 })
    queue.push({ n: 5 })
    expect(await take(queue, 2)).toEqual([4, 5])
  })

  test('a long backlog is read in order through its compaction, then ends', async () => {
    const queue = createEventQueue<{ n: number }>(10_000, () => undefined)
    for (let n = 0; n < 3000; n++) queue.push({ n })
    const first = await take(queue, 2000)
    for (let n = 3000; n < 3500; n++) queue.push({ n })
    queue.end()
    const rest = await take(queue, 5000)
    expect([...first, ...rest]).toEqual(Array.from({ length: 3500 }, (_, n) => n))
    expect(await queue.iterator.next()).toEqual({ value: undefined, done: true })
  })

  test('a consumer waiting gets the next event pushed, and room is given back as it takes', async () => {
    const queue = createEventQueue<{ n: number }>(1, () => undefined)
    const waiting = queue.iterator.next()
    queue.push({ n: 1 })
    expect(await waiting).toEqual({ value: { n: 1 }, done: false })
    queue.push({ n: 2 })
    let room = false
    void queue.drained().then(() => {
      room = true
    })
    expect(await take(queue, 1)).toEqual([2])
    await Promise.resolve()
    expect(room).toBe(true)
  })
})
