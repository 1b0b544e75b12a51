import { describe, expect, test } from 'vitest'
import { createConnectionStore, type Opener } from '../../src/react/store.js'
import { waitFor } from '../helpers/http.js'

// The store is what keeps StrictMode from opening a second connection: these tests drive it the
// way React does (subscribe, unsubscribe and subscribe again in one go) and count the opens.

interface Probe {
  opener: Opener<string, { label: string }>
  opened: number
  closed: number
  publish?: (snapshot: string) => void
  options?: () => { label: string }
}

function probe(): Probe {
  const result: Probe = {
    opened: 0,
    closed: 0,
    opener: (link) => {
      result.opened++
      result.publish = (snapshot) => link.publish(snapshot)
      result.options = () => link.options
      return () => {
        result.closed++
      }
    },
  }
  return result
}

describe('the connection store', () => {
  test('opens one connection for every subscriber of a key', () => {
    const store = createConnectionStore()
    const p = probe()
    store.subscribe('k', { label: 'a' }, p.opener, () => {})
    store.subscribe('k', { label: 'b' }, p.opener, () => {})
    expect(p.opened).toBe(1)
    expect(store.size).toBe(1)
  })

  test('keeps the connection when the last subscriber leaves and one comes back at once (StrictMode)', async () => {
    const store = createConnectionStore()
    const p = probe()
    const first = store.subscribe('k', { label: 'a' }, p.opener, () => {})
    first()
    const second = store.subscribe('k', { label: 'a' }, p.opener, () => {})
    // A later task: the deferred close has had its chance to run.
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(p).toMatchObject({ opened: 1, closed: 0 })
    expect(store.size).toBe(1)
    second()
    await waitFor(() => p.closed === 1, 5000, 'the close')
    expect(store.size).toBe(0)
  })

  test('closes once no one is subscribed, and opens anew for a later subscriber', async () => {
    const store = createConnectionStore()
    const p = probe()
    const stop = store.subscribe('k', { label: 'a' }, p.opener, () => {})
    stop()
    stop() // twice: still one release
    await waitFor(() => p.closed === 1, 5000, 'the close')
    expect(store.snapshot('k')).toBeUndefined()
    store.subscribe('k', { label: 'a' }, p.opener, () => {})
    expect(p.opened).toBe(2)
  })

  test('keeps a connection while one of its subscribers stays', async () => {
    const store = createConnectionStore()
    const p = probe()
    const a = store.subscribe('k', { label: 'a' }, p.opener, () => {})
    const b = store.subscribe('k', { label: 'a' }, p.opener, () => {})
    a()
    a()
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(p.closed).toBe(0)
    b()
    await waitFor(() => p.closed === 1, 5000, 'the close')
  })

  test('publishes a snapshot to every subscriber of its key only', () => {
    const store = createConnectionStore()
    const p = probe()
    const other = probe()
    const calls: string[] = []
    store.subscribe('k', { label: 'a' }, p.opener, () => calls.push('a'))
    store.subscribe('k', { label: 'a' }, p.opener, () => calls.push('b'))
    store.subscribe('j', { label: 'a' }, other.opener, () => calls.push('other'))
    p.publish?.('one')
    expect(calls).toEqual(['a', 'b'])
    expect(store.snapshot('k')).toBe('one')
    expect(store.snapshot('j')).toBeUndefined()
  })

  test('gives the opener the options of the last render', () => {
    const store = createConnectionStore()
    const p = probe()
    store.subscribe('k', { label: 'first' }, p.opener, () => {})
    expect(p.options?.()).toEqual({ label: 'first' })
    store.setOptions('k', { label: 'latest' })
    expect(p.options?.()).toEqual({ label: 'latest' })
  })
})
