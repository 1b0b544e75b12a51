import { afterEach, describe, expect, it } from 'vitest'
import { connect, type RunstreamError, StreamHttpError } from '../../src/client.js'
import { executionCatalog } from '../../src/index.js'
import { createFaultServer, type FaultServer } from '../../src/testing.js'
import { collect, eventually, type Runstream, startRunstream } from '../reliability/harness.js'
import { rawGet } from './raw-http.js'

// Size is a resource: an event too large for the bound is refused where it is made, and a client
// facing a hostile server never buffers more than its own bound, whatever shape the bytes take.

let runstream: Runstream | undefined
let server: FaultServer | undefined
afterEach(async () => {
  await runstream?.close()
  await server?.close()
  runstream = undefined
  server = undefined
})

const MIB = 1024 * 1024

describe('on emit', () => {
  it('refuses an event over maxEventBytes: no id, no frame, and the watchers go on', async () => {
    runstream = await startRunstream({ maxEventBytes: 64 * 1024 })
    const producer = runstream.manager.stream('workflow:w1')
    const events = collect(
      connect(runstream.streamUrl('workflow', 'w1'), { catalog: executionCatalog }),
    )
    await eventually(() => runstream?.handler.stats().connections === 1, 'the watcher')
    producer.emit('llm_chunk', { text: 'before' })
    producer.emit('llm_chunk', { text: 'x'.repeat(64 * 1024) })
    // Multi-byte text counts in UTF-8 bytes, not in characters.
    producer.emit('llm_chunk', { text: 'é'.repeat(33 * 1024) })
    producer.emit('llm_chunk', { text: 'after' })
    producer.emit('complete', { status: 'SUCCESS' })
    expect((await events).map((event) => [event.id, event.data])).toEqual([
      ['1', { text: 'before' }],
      ['2', { text: 'after' }],
      ['3', { status: 'SUCCESS' }],
    ])
    const refused = runstream.errors.filter((error) => error.code === 'event_too_large')
    expect(refused).toHaveLength(2)
    expect(refused[1]?.details).toMatchObject({ maxEventBytes: 64 * 1024 })
    expect(refused[1]?.details?.bytes).toBeGreaterThan(66 * 1024)
  })
})

describe('on parse, from a hostile server', () => {
  async function fatalErrorFrom(prelude: string, maxEventBytes: number): Promise<RunstreamError> {
    server = await createFaultServer({
      answers: [{ kind: 'stream', prelude, split: 64 * 1024, end: 'hang' }],
    })
    const errors: RunstreamError[] = []
    await expect(
      collect(connect(server.url, { maxEventBytes, onError: (error) => errors.push(error) })),
    ).rejects.toMatchObject({ code: 'parse_error' })
    return errors.at(-1) as RunstreamError
  }

  it.each([
    ['one huge data line', `data: ${'x'.repeat(32 * MIB)}\n\n`],
    ['a data line that never ends', `data: ${'x'.repeat(32 * MIB)}`],
    ['a comment line that never ends', `: ${'x'.repeat(32 * MIB)}`],
    ['an event of many small lines', `data: ${'x'.repeat(98)}\n`.repeat(320 * 1024)],
  ])('stops at maxEventBytes on %s, without downloading the rest', async (_, prelude) => {
    const error = await fatalErrorFrom(prelude, MIB)
    expect(error.details).toMatchObject({ maxEventBytes: MIB })
    // The client stopped reading: the server could only hand the kernel a few MiB of 32.
    await eventually(() => (server?.requests[0]?.bytesSent ?? 0) > 0, 'the first bytes')
    expect(server?.requests[0]?.bytesSent).toBeLessThan(16 * MIB)
    expect(server?.requests).toHaveLength(1)
  })

  it('keeps at most 64 KiB of an error body', async () => {
    server = await createFaultServer({
      answers: [{ kind: 'status', status: 401, body: 'y'.repeat(8 * MIB) }],
    })
    const failure = await collect(connect(server.url, { onError: () => undefined })).catch(
      (error: unknown) => error,
    )
    expect(failure).toBeInstanceOf(StreamHttpError)
    expect(String((failure as StreamHttpError).body).length).toBeLessThanOrEqual(64 * 1024)
  })
})

describe('on request', () => {
  it('refuses a 10 000-digit Last-Event-ID, echoing at most 40 characters of it', async () => {
    runstream = await startRunstream()
    const answer = await rawGet(runstream.url, '/api/v0/executions/workflows/w1/stream', {
      'Last-Event-ID': '9'.repeat(10_000),
    })
    expect(answer.status).toBe(400)
    expect(answer.raw.length).toBeLessThan(2000)
  })

  it('refuses a filter of 1000 unknown names, listing at most 10 of them', async () => {
    runstream = await startRunstream()
    const names = Array.from({ length: 1000 }, (_, i) => `n${i}`).join(',')
    const answer = await rawGet(
      runstream.url,
      `/api/v0/executions/workflows/w1/stream?events=${names}`,
    )
    expect(answer.status).toBe(400)
    const body = JSON.parse(answer.raw.slice(answer.raw.indexOf('{')).replace(/\r\n0\r\n\r\n$/, ''))
    expect(body.error.details.unknown).toHaveLength(10)
    expect(answer.raw.length).toBeLessThan(4000)
  })
})
