import { describe, expect, it } from 'vitest'
import { overlap } from './overlap.js'

describe('sessions open at once, from their open and release times', () => {
  it('counts sessions that follow one another back to back as one at a time', () => {
    const spans = { opened: [0, 10, 20, 30], released: [10, 20, 30, 40] }
    expect(overlap(spans, 40)).toEqual({ max: 1, mean: 1 })
  })

  it('finds the instant most sessions are open, whatever order they were recorded in', () => {
    // Open: [0, 100), [50, 60), [55, 200), [150, 160), [58, 59).
    const spans = { opened: [55, 0, 150, 58, 50], released: [200, 100, 160, 59, 60] }
    expect(overlap(spans, 200).max).toBe(4)
  })

  it('gives the mean as summed open time over the window', () => {
    const spans = { opened: [0, 0, 50], released: [100, 50, 100] }
    expect(overlap(spans, 100).mean).toBe(2)
  })

  it('gives nothing for no session', () => {
    expect(overlap({ opened: [], released: [] }, 1000)).toEqual({ max: 0, mean: 0 })
  })

  it('refuses opens and releases that do not pair up', () => {
    expect(() => overlap({ opened: [0, 1], released: [2] }, 10)).toThrow(TypeError)
  })
})
