import { describe, expect, it } from 'vitest'
import { type DraftEvent, memoryStore } from '../../src/index.js'

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
