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

  it('refuses lines past maxQueuedChars with transport_overflow, and recovers', async () => {
    let release: () => void = () => {}
    const written: string[] = []
    const transport = jsonLinesTransport({
      maxQueuedChars: 300,
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
