import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { createNodeSink, type NodeResponseLike } from '../../src/node/sse-sink.js'
import { waitFor } from '../helpers/wait.js'

// The Node sink over fake responses: what reaches `write`, and when, for many sinks at once.

/** A response that records its writes, and can be told to throw on them. */
class FakeResponse extends EventEmitter implements NodeResponseLike {
  readonly writes: string[] = []
  destroyed = false
  writableLength = 0
  throwOnWrite = false

  write(chunk: Uint8Array, callback: (error?: Error | null) => void): boolean {
    if (this.throwOnWrite) throw new Error('write failed')
    this.writes.push(Buffer.from(chunk).toString())
    queueMicrotask(() => callback())
    return true
  }
  end(chunk?: Uint8Array): void {
    if (chunk !== undefined) this.writes.push(Buffer.from(chunk).toString())
  }
  destroy(): void {
    this.destroyed = true
  }
}

function owner() {
  return {
    done: 0,
    sinkDone() {
      this.done++
    },
  }
}

const bytes = (text: string) => new TextEncoder().encode(text)

describe('the Node sink', () => {
  it('writes what every sink queued in a turn once the turn is over, one write per response', async () => {
    const responses = Array.from({ length: 50 }, () => new FakeResponse())
    const sinks = responses.map((res) => createNodeSink(res, owner()))
    for (const sink of sinks) {
      sink.write(bytes('a'))
      sink.write(bytes('b'))
    }
    expect(responses.every((res) => res.writes.length === 0)).toBe(true)
    await waitFor(() => responses.every((res) => res.writes.length === 1), {
      what: 'every response to be written',
    })
    expect(responses.map((res) => res.writes[0])).toEqual(responses.map(() => 'ab'))
  })

  it('cuts only the response whose write throws, and still writes the others', async () => {
    const failing = new FakeResponse()
    failing.throwOnWrite = true
    const fine = new FakeResponse()
    const failingOwner = owner()
    createNodeSink(failing, failingOwner).write(bytes('x'))
    createNodeSink(fine, owner()).write(bytes('y'))
    await waitFor(() => fine.writes.length === 1, { what: 'the other response to be written' })
    expect(failing.destroyed).toBe(true)
    expect(failingOwner.done).toBe(1)
    expect(fine.writes).toEqual(['y'])
  })

  it('tells its own owner once when its response closes, and stops listening to it', () => {
    const [first, second] = [new FakeResponse(), new FakeResponse()]
    const [firstOwner, secondOwner] = [owner(), owner()]
    createNodeSink(first, firstOwner)
    createNodeSink(second, secondOwner)
    expect(first.listenerCount('close')).toBe(1)
    first.emit('close')
    first.emit('close')
    expect(firstOwner.done).toBe(1)
    expect(secondOwner.done).toBe(0)
    expect(first.listenerCount('close')).toBe(0)
    expect(first.listenerCount('error')).toBe(0)
    // An error cuts the response, then ends the sink.
    second.emit('error', new Error('reset'))
    expect(second.destroyed).toBe(true)
    expect(secondOwner.done).toBe(1)
  })
})
