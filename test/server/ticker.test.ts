import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { createTicker, type Ticking } from '../../src/server/ticker.js'

// A registered object whose heartbeat is a mock.
const ticking = (heartbeat: () => void = vi.fn()): Ticking & { heartbeat: () => void } => ({
  heartbeat,
})

describe('createTicker', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  test('one timer for any number of callbacks, running only while one is registered', () => {
    const ticker = createTicker(1000)
    const calls: string[] = []
    const ticks = ['a', 'b', 'c'].map((name) => ticking(() => calls.push(name)))
    expect(vi.getTimerCount()).toBe(0)
    for (const tick of ticks) ticker.add(tick)
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(1000)
    expect(calls).toEqual(['a', 'b', 'c'])
    ticker.delete(ticks[0] as Ticking)
    ticker.delete(ticks[1] as Ticking)
    expect(vi.getTimerCount()).toBe(1)
    ticker.delete(ticks[2] as Ticking)
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(5000)
    expect(calls).toEqual(['a', 'b', 'c'])
  })

  test('a callback added between ticks is called at the next tick, never later', () => {
    const ticker = createTicker(1000)
    const first = ticking()
    const late = ticking()
    ticker.add(first)
    vi.advanceTimersByTime(700)
    ticker.add(late)
    vi.advanceTimersByTime(300)
    expect(late.heartbeat).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(1000)
    expect(late.heartbeat).toHaveBeenCalledTimes(2)
    expect(first.heartbeat).toHaveBeenCalledTimes(2)
  })

  test('callbacks may add and remove callbacks while it ticks', () => {
    const ticker = createTicker(1000)
    const added = ticking()
    const selfRemoving: Ticking & { heartbeat: () => void } = ticking(
      vi.fn(() => ticker.delete(selfRemoving)),
    )
    const adder = ticking(vi.fn(() => ticker.add(added)))
    ticker.add(selfRemoving)
    ticker.add(adder)
    vi.advanceTimersByTime(1000)
    // Added during the tick: waits for the next one.
    expect(added.heartbeat).toHaveBeenCalledTimes(0)
    vi.advanceTimersByTime(1000)
    expect(selfRemoving.heartbeat).toHaveBeenCalledTimes(1)
    expect(adder.heartbeat).toHaveBeenCalledTimes(2)
    expect(added.heartbeat).toHaveBeenCalledTimes(1)
  })
})
