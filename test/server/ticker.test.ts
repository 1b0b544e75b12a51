import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { createTicker } from '../../src/server/ticker.js'

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
    const ticks = ['a', 'b', 'c'].map((name) => () => calls.push(name))
    expect(vi.getTimerCount()).toBe(0)
    for (const tick of ticks) ticker.add(tick)
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(1000)
    expect(calls).toEqual(['a', 'b', 'c'])
    ticker.delete(ticks[0] as () => void)
    ticker.delete(ticks[1] as () => void)
    expect(vi.getTimerCount()).toBe(1)
    ticker.delete(ticks[2] as () => void)
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(5000)
    expect(calls).toEqual(['a', 'b', 'c'])
  })

  test('a callback added between ticks is called at the next tick, never later', () => {
    const ticker = createTicker(1000)
    const first = vi.fn()
    const late = vi.fn()
    ticker.add(first)
    vi.advanceTimersByTime(700)
    ticker.add(late)
    vi.advanceTimersByTime(300)
    expect(late).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(1000)
    expect(late).toHaveBeenCalledTimes(2)
    expect(first).toHaveBeenCalledTimes(2)
  })

  test('callbacks may add and remove callbacks while it ticks', () => {
    const ticker = createTicker(1000)
    const added = vi.fn()
    const selfRemoving = vi.fn(() => ticker.delete(selfRemoving))
    const adder = vi.fn(() => ticker.add(added))
    ticker.add(selfRemoving)
    ticker.add(adder)
    vi.advanceTimersByTime(1000)
    // Added during the tick: waits for the next one.
    expect(added).toHaveBeenCalledTimes(0)
    vi.advanceTimersByTime(1000)
    expect(selfRemoving).toHaveBeenCalledTimes(1)
    expect(adder).toHaveBeenCalledTimes(2)
    expect(added).toHaveBeenCalledTimes(1)
  })
})
