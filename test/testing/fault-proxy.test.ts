import http from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { connect, type RunstreamError } from '../../src/client.js'
import { executionCatalog } from '../../src/index.js'
import { createFaultProxy, createFaultServer, type FaultProxy } from '../../src/testing.js'
import { pause } from '../helpers/wait.js'
import {
  collect,
  EAGER_RECONNECT,
  eventually,
  type Runstream,
  range,
  startRunstream,
} from '../reliability/harness.js'

// The fault proxy between the real Node handler and the real client: each fault it injects must
// reach the client as the network fault it stands for.
let runstream: Runstream | undefined
let proxy: FaultProxy | undefined
afterEach(async () => {
  await proxy?.close()
  await runstream?.close()
  proxy = undefined
  runstream = undefined
})

async function setUp(options: { chunkBytes?: number; latencyMs?: number } = {}) {
  runstream = await startRunstream({ heartbeatMs: 100, retryMs: 0 })
  proxy = await createFaultProxy({ target: runstream.url, ...options })
  const path = new URL(runstream.streamUrl('workflow', 'w1')).pathname
  return {
    runstream,
    proxy,
    url: proxy.url + path,
    producer: runstream.manager.stream('workflow:w1'),
  }
}

describe('createFaultProxy', () => {
  it('forwards the bytes cut into tiny writes, and the client still reads every event', async () => {
    const { url, producer, proxy } = await setUp({ chunkBytes: 3 })
    for (let n = 1; n <= 50; n++) producer.emit('llm_chunk', { text: `é🚀 ${n}\r\n` })
    producer.emit('complete', { status: 'SUCCESS' })
    const events = await collect(connect(url, { catalog: executionCatalog }))
    expect(events.map((event) => Number(event.id))).toEqual(range(1, 51))
    expect(events[0]?.data).toEqual({ text: 'é🚀 1\r\n' })
    // About 57 bytes per event frame in payload framing: all of them went through the proxy.
    expect(proxy.bytesToClients).toBeGreaterThan(50 * 50)
  })

  it('cuts every connection: the client resumes with Last-Event-ID and loses nothing', async () => {
    const { url, producer, proxy } = await setUp()
    const errors: RunstreamError[] = []
    const subscription = connect(url, {
      catalog: executionCatalog,
      reconnect: EAGER_RECONNECT,
      onError: (error) => errors.push(error),
    })
    let cuts = 0
    const consumed = collect(subscription, (_, received) => {
      if (received % 20 === 0 && cuts < 3) {
        cuts++
        proxy.cutAll()
      }
    })
    for (let n = 1; n <= 100; n++) {
      producer.emit('llm_chunk', { text: `${n}` })
      // A steady producer, so that the cuts land mid-stream.
      await pause(1)
    }
    producer.emit('complete', { status: 'SUCCESS' })
    const events = await consumed
    expect(events.map((event) => Number(event.id))).toEqual(range(1, 101))
    expect(cuts).toBe(3)
    expect(proxy.accepted).toBeGreaterThanOrEqual(4)
    expect(errors.map((error) => error.code)).toContain('network_error')
  })

  it('goes half-open on stall(): only the idle watchdog notices, and resume() lets it through', async () => {
    const { url, producer, proxy } = await setUp()
    const errors: RunstreamError[] = []
    const subscription = connect(url, {
      catalog: executionCatalog,
      idleTimeoutMs: 300,
      reconnect: EAGER_RECONNECT,
      onError: (error) => errors.push(error),
    })
    const consumed = collect(subscription)
    producer.emit('llm_chunk', { text: 'before' })
    // (The cursor is qualified with the stream's epoch: `<epoch>.1`.)
    await eventually(
      () => /^[a-z][0-9a-z]{9}\.1$/.test(subscription.lastEventId ?? ''),
      'the first event',
    )
    proxy.stall()
    producer.emit('llm_chunk', { text: 'during' })
    await eventually(
      () => errors.some((error) => error.code === 'idle_timeout'),
      'the idle watchdog to fire',
    )
    // Nothing was refused or reset: the new attempt is held open, as on a dead route.
    expect(errors.every((error) => error.code === 'idle_timeout')).toBe(true)
    await eventually(() => proxy.connections >= 1, 'the next attempt to be held open')
    proxy.resume()
    producer.emit('complete', { status: 'SUCCESS' })
    const events = await consumed
    expect(events.map((event) => event.data)).toEqual([
      { text: 'before' },
      { text: 'during' },
      { status: 'SUCCESS' },
    ])
  })

  it('delays every write by latencyMs, and still delivers what a server sent before it dropped', async () => {
    // The server writes everything at once and drops the connection 10 ms later; the proxy
    // still holds most of it, 16 bytes per 5 ms.
    const fault = await createFaultServer({
      answers: [{ kind: 'stream', events: [{ id: '1', data: 'x'.repeat(200) }], end: 'destroy' }],
    })
    proxy = await createFaultProxy({ target: fault.url, chunkBytes: 16, latencyMs: 5 })
    const started = Date.now()
    const body = await new Promise<string>((resolve) => {
      http.get(`${proxy?.url}/`, (response) => {
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          text += chunk
        })
        response.on('close', () => resolve(text))
      })
    })
    // Headers and the 215-byte frame: at least 14 writes of 16 bytes, 5 ms apart.
    expect(Date.now() - started).toBeGreaterThanOrEqual(14 * 5)
    expect(body).toBe(`id: 1\ndata: ${'x'.repeat(200)}\n\n`)
    await fault.close()
  })

  it('refuses new connections while refuse(true), as a server that is down', async () => {
    const { url, producer, proxy } = await setUp()
    proxy.refuse(true)
    const errors: RunstreamError[] = []
    const subscription = connect(url, {
      catalog: executionCatalog,
      reconnect: EAGER_RECONNECT,
      onError: (error) => errors.push(error),
    })
    const consumed = collect(subscription)
    await eventually(() => errors.length >= 3, 'three failed attempts')
    expect(errors.every((error) => error.code === 'network_error')).toBe(true)
    producer.emit('llm_chunk', { text: 'up again' })
    producer.emit('complete', { status: 'SUCCESS' })
    proxy.refuse(false)
    expect((await consumed).map((event) => event.type)).toEqual(['llm_chunk', 'complete'])
    expect(proxy.accepted).toBeGreaterThanOrEqual(4)
  })
})
