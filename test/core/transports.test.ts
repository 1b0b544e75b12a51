import { PassThrough, Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import {
  createStreamManager,
  executionCatalog,
  jsonLinesTransport,
  memoryTransport,
  type RunstreamError,
} from '../../src/index.js'
import { stdoutTransport } from '../../src/node.js'
import { transportContract } from '../contract/transport.js'
import { waitFor } from '../helpers/wait.js'

transportContract('memory', () => {
  const transport = memoryTransport()
  return {
    transport,
    received: async (count) => (await transport.waitFor(count)).slice(0, count).map((r) => r.json),
    close: async () => {},
  }
})

transportContract('json-lines (async sink)', () => {
  let text = ''
  const transport = jsonLinesTransport({
    write: (chunk) =>
      new Promise<void>((resolve) => {
        setTimeout(() => {
          text += chunk
          resolve()
        }, 1)
      }),
  })
  return {
    transport,
    async received(count) {
      await waitFor(() => text.split('\n').length - 1 >= count, { what: `${count} lines` })
      return text.split('\n').slice(0, count)
    },
    close: async () => {},
  }
})

transportContract('stdout (a Node writable that applies backpressure)', () => {
  const sink = new PassThrough({ highWaterMark: 256 })
  let text = ''
  // Reads slowly, so writes fill the buffer and the transport must wait for 'drain'.
  const pump = setInterval(() => {
    for (let i = 0; i < 4; i++) {
      const chunk: Buffer | null = sink.read()
      if (chunk === null) break
      text += chunk.toString('utf8')
    }
  }, 1)
  const transport = stdoutTransport({ stream: sink })
  return {
    transport,
    async received(count) {
      await waitFor(() => text.split('\n').length - 1 >= count, {
        timeoutMs: 20_000,
        what: `${count} lines`,
      })
      return text.split('\n').slice(0, count)
    },
    close: async () => clearInterval(pump),
  }
})

describe('json-lines transport', () => {
  it('writes whole lines and joins lines that waited into one write', async () => {
    const writes: string[] = []
    let release: () => void = () => {}
    const transport = jsonLinesTransport({
      write(text) {
        writes.push(text)
        if (writes.length === 1)
          return new Promise<void>((resolve) => {
            release = resolve
          })
      },
    })
    const manager = createStreamManager({ catalog: executionCatalog, transports: [transport] })
    for (let i = 0; i < 4; i++) manager.stream('task:1').emit('llm_chunk', { text: String(i) })
    expect(writes).toHaveLength(1)
    release()
    await transport.close?.()
    expect(writes).toHaveLength(2)
    expect(writes.every((w) => w.endsWith('\n'))).toBe(true)
    expect(writes[1]?.split('\n')).toHaveLength(4)
  })

  it('refuses lines past maxQueuedBytes with transport_overflow, and recovers', async () => {
    let release: () => void = () => {}
    const written: string[] = []
    const transport = jsonLinesTransport({
      maxQueuedBytes: 300,
      write(text) {
        written.push(text)
        if (written.length === 1)
          return new Promise<void>((resolve) => {
            release = resolve
          })
      },
    })
    const errors: RunstreamError[] = []
    const manager = createStreamManager({
      catalog: executionCatalog,
      transports: [transport],
      onError: (e) => errors.push(e),
    })
    for (let i = 0; i < 10; i++)
      manager.stream('task:1').emit('llm_chunk', { text: 'x'.repeat(50) })
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.every((e) => e.code === 'transport_overflow')).toBe(true)
    release()
    await transport.close?.()
    manager.stream('task:1').emit('llm_chunk', { text: 'after' })
    expect(written.at(-1)).toContain('"after"')
  })

  it('counts the queue in bytes of UTF-8, not in characters', async () => {
    let release: () => void = () => {}
    const written: string[] = []
    const probe = memoryTransport()
    const errors: RunstreamError[] = []
    // Each line is about 470 bytes but 270 characters: a bound of two lines in bytes holds
    // three lines in characters.
    const text = 'é'.repeat(200)
    const sizing = createStreamManager({ catalog: executionCatalog, transports: [probe] })
    sizing.stream('task:utf8').emit('llm_chunk', { text })
    const line = `${probe.lines()[0]}\n`
    const bytes = Buffer.byteLength(line)
    expect(3 * line.length).toBeLessThanOrEqual(2 * bytes + 1)
    const transport = jsonLinesTransport({
      maxQueuedBytes: 2 * bytes + 1,
      write(chunk) {
        written.push(chunk)
        if (written.length === 1)
          return new Promise<void>((resolve) => {
            release = resolve
          })
      },
    })
    const manager = createStreamManager({
      catalog: executionCatalog,
      transports: [transport],
      onError: (e) => errors.push(e),
    })
    // The first line goes to the busy sink; two wait; the fourth is refused.
    for (let i = 0; i < 4; i++) manager.stream('task:utf8').emit('llm_chunk', { text })
    expect(errors.map((e) => e.code)).toEqual(['transport_overflow'])
    expect(errors[0]?.details).toMatchObject({ maxQueuedBytes: 2 * bytes + 1 })
    release()
    await transport.close?.()
    expect(written.join('').split('\n').filter(Boolean)).toHaveLength(3)
  })

  it('refuses its old option name and bad bounds where they are given', () => {
    const write = () => {}
    expect(() => jsonLinesTransport({ write, maxQueuedChars: 10 } as never)).toThrow(
      /`maxQueuedChars` was renamed to `maxQueuedBytes`/,
    )
    expect(() => jsonLinesTransport({ write, maxQueuedBytes: 0 })).toThrow(TypeError)
    expect(() => jsonLinesTransport({ write, maxQueuedBytes: 1.5 })).toThrow(
      /positive whole number/,
    )
    expect(() => jsonLinesTransport({ write: 'stdout' } as never)).toThrow(
      /`write` must be a function/,
    )
    expect(() => jsonLinesTransport({ write, name: '' })).toThrow(/`name`/)
  })
})

describe('memory transport', () => {
  it('refuses its old option name and bad bounds where they are given', () => {
    expect(() => memoryTransport({ limit: 10 } as never)).toThrow(
      /`limit` was renamed to `maxEvents`/,
    )
    expect(() => memoryTransport({ maxEvents: -1 })).toThrow(/`maxEvents` must be a positive/)
  })

  it('keeps at least maxEvents records', () => {
    const transport = memoryTransport({ maxEvents: 3 })
    const manager = createStreamManager({ catalog: executionCatalog, transports: [transport] })
    for (let i = 1; i <= 10; i++) manager.stream('task:m').emit('llm_chunk', { text: `${i}` })
    expect(transport.records.length).toBeGreaterThanOrEqual(3)
    expect(transport.records.length).toBeLessThan(6)
    expect(transport.envelopes().at(-1)?.id).toBe('10')
  })
})

describe('stdout transport', () => {
  it('reports a write failure and keeps the producer running', async () => {
    const failing = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, callback) {
        setTimeout(() => callback(new Error('EPIPE')), 1)
      },
    })
    failing.on('error', () => {})
    const errors: RunstreamError[] = []
    const manager = createStreamManager({
      catalog: executionCatalog,
      transports: [stdoutTransport({ stream: failing })],
      onError: (e) => errors.push(e),
    })
    manager.stream('task:1').emit('llm_chunk', { text: 'a' })
    manager.stream('task:1').emit('llm_chunk', { text: 'b' })
    await manager.flush()
    await waitFor(() => errors.length > 0, { what: 'the write failure to be reported' })
    manager.stream('task:1').emit('llm_chunk', { text: 'c' })
    await manager.flush()
    expect(errors.every((e) => e.code === 'transport_failed')).toBe(true)
  })
})
