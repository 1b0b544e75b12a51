import http from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { connect, type RunstreamError } from '../../src/client.js'
import { createStreamManager, executionCatalog } from '../../src/index.js'
import { createFetchHandler } from '../../src/server.js'
import { connectSlowReader, type SlowReader } from '../../src/testing.js'
import { collect, eventually, type Runstream, startRunstream } from '../reliability/harness.js'
import { rawGet } from './raw-http.js'

// One client opening streams in a loop must not take every connection of the server. The caps
// count streams per client (remote address on Node, or `clientKey`) and in all, refuse with a
// JSON 429 / 503 and Retry-After, and give every place back when a stream ends.

let runstream: Runstream | undefined
const readers: SlowReader[] = []
afterEach(async () => {
  for (const reader of readers.splice(0)) reader.close()
  await runstream?.close()
  runstream = undefined
})

const PATH = (id: string) => `/api/v0/executions/workflows/${id}/stream`

/** Opens a stream that stays open (the reader stops reading after the headers). */
async function hold(url: string, headers: Record<string, string> = {}): Promise<SlowReader> {
  const reader = await connectSlowReader(url, { headers })
  readers.push(reader)
  return reader
}

function errorOf(answer: { raw: string }): { status: number; error: { code: string } } {
  return JSON.parse(answer.raw.slice(answer.raw.indexOf('{')).replace(/\r\n0\r\n\r\n$/, ''))
}

describe('maxConnectionsPerClient', () => {
  it('refuses the next stream of a client at its cap with 429 too_many_connections and Retry-After', async () => {
    runstream = await startRunstream({ maxConnectionsPerClient: 3 })
    const held = await Promise.all([1, 2, 3].map((n) => hold(runstream!.url + PATH(`w${n}`))))
    expect(held.map((reader) => reader.status)).toEqual([200, 200, 200])
    const refused = await rawGet(runstream.url, PATH('w4'))
    expect(refused.status).toBe(429)
    expect(refused.headers['retry-after']).toBe('5')
    expect(refused.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(errorOf(refused)).toMatchObject({
      status: 429,
      error: { code: 'too_many_connections', details: { limit: 3 } },
    })
    expect(runstream.handler.stats().connections).toBe(3)
  })

  it('gives the place back when a stream ends', async () => {
    runstream = await startRunstream({ maxConnectionsPerClient: 1 })
    const first = await hold(runstream.url + PATH('w1'))
    expect((await rawGet(runstream.url, PATH('w2'))).status).toBe(429)
    first.close()
    await eventually(
      () => runstream?.handler.stats().connections === 0,
      'the place to be given back',
    )
    const second = await hold(runstream.url + PATH('w2'))
    expect(second.status).toBe(200)
  })

  it('takes no place for answers that are not streams: refusals, 204s and errors', async () => {
    runstream = await startRunstream({
      maxConnectionsPerClient: 1,
      authorize: (_request, stream) => stream !== 'workflow:forbidden',
    })
    const producer = runstream.manager.stream('workflow:done')
    producer.emit('complete', { status: 'SUCCESS' })
    for (let i = 0; i < 20; i++) {
      expect((await rawGet(runstream.url, PATH('forbidden'))).status).toBe(403)
      expect((await rawGet(runstream.url, PATH('done'), { 'Last-Event-ID': '1' })).status).toBe(204)
      expect((await rawGet(runstream.url, `${PATH('w1')}?lastEventId=x`)).status).toBe(400)
    }
    expect((await hold(runstream.url + PATH('w1'))).status).toBe(200)
  })

  it('keeps the cap of one client from affecting another (clientKey)', async () => {
    runstream = await startRunstream({
      maxConnectionsPerClient: 2,
      clientKey: (request) => request.headers.get('authorization') ?? undefined,
    })
    const alice = { authorization: 'Bearer alice' }
    const bob = { authorization: 'Bearer bob' }
    await hold(runstream.url + PATH('a1'), alice)
    await hold(runstream.url + PATH('a2'), alice)
    expect((await rawGet(runstream.url, PATH('a3'), alice)).status).toBe(429)
    expect((await hold(runstream.url + PATH('b1'), bob)).status).toBe(200)
    expect((await hold(runstream.url + PATH('b2'), bob)).status).toBe(200)
    // A request the key function cannot place is counted in the total only.
    expect((await hold(runstream.url + PATH('anonymous'))).status).toBe(200)
  })

  it('counts requests still being authorized, so a flood cannot pile up behind a slow hook', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let asked = 0
    runstream = await startRunstream({
      maxConnectionsPerClient: 2,
      authorize: async () => {
        asked++
        await gate
        return true
      },
    })
    const pending = [hold(runstream.url + PATH('w1')), hold(runstream.url + PATH('w2'))]
    await eventually(() => asked === 2, 'two requests to wait on authorize')
    const refused = await rawGet(runstream.url, PATH('w3'))
    expect(refused.status).toBe(429)
    // The refused request never reached the hook.
    expect(asked).toBe(2)
    release()
    expect((await Promise.all(pending)).map((reader) => reader.status)).toEqual([200, 200])
  })

  it('holds a flood of 400 concurrent requests from one address to the cap, and recovers', async () => {
    runstream = await startRunstream({ maxConnectionsPerClient: 10, heartbeatMs: 60_000 })
    const url = runstream.url
    let peak = 0
    const watch = setInterval(() => {
      peak = Math.max(peak, runstream?.handler.stats().connections ?? 0)
    }, 1)
    const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY })
    const admitted: http.ClientRequest[] = []
    const statuses = await Promise.all(
      Array.from(
        { length: 400 },
        (_, i) =>
          new Promise<number>((resolve) => {
            const request = http.get(`${url}${PATH(`f${i}`)}`, { agent }, (response) => {
              resolve(response.statusCode ?? 0)
              if (response.statusCode !== 200) response.resume()
              // An admitted stream stays open until every request of the flood is answered.
              else admitted.push(request)
            })
            request.on('error', () => resolve(0))
          }),
      ),
    )
    clearInterval(watch)
    for (const request of admitted) request.destroy()
    agent.destroy()
    expect(statuses.filter((status) => status === 200)).toHaveLength(10)
    expect(statuses.filter((status) => status === 429)).toHaveLength(390)
    expect(peak).toBeLessThanOrEqual(10)
    await eventually(() => runstream?.handler.stats().connections === 0, 'the flood to be released')
    expect((await hold(url + PATH('after'))).status).toBe(200)
  })

  it('makes a runstream client wait for Retry-After, then serves it once a place is free', async () => {
    runstream = await startRunstream({ maxConnectionsPerClient: 1 })
    const first = await hold(runstream.url + PATH('busy'))
    const errors: RunstreamError[] = []
    const delays: number[] = []
    runstream.manager.stream('workflow:w1').emit('complete', { status: 'SUCCESS' })
    const events = collect(
      connect(runstream.url + PATH('w1'), {
        onError: (error) => errors.push(error),
        onReconnect: (info) => delays.push(info.delayMs),
      }),
    )
    await eventually(() => errors.length === 1, 'the first refusal')
    first.close()
    expect((await events).map((event) => event.type)).toEqual(['complete'])
    expect(errors[0]).toMatchObject({ code: 'http_error', status: 429 })
    expect(delays[0]).toBeGreaterThanOrEqual(5000)
  }, 15_000)
})

describe('maxConnections', () => {
  it('refuses any stream past the total with 503 server_busy and Retry-After', async () => {
    runstream = await startRunstream({ maxConnections: 2 })
    await hold(runstream.url + PATH('w1'))
    await hold(runstream.url + PATH('w2'))
    const refused = await rawGet(runstream.url, PATH('w3'))
    expect(refused.status).toBe(503)
    expect(refused.headers['retry-after']).toBe('5')
    expect(errorOf(refused).error.code).toBe('server_busy')
  })

  it('caps the Fetch handler too, and wants clientKey for a per-client cap there', async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    expect(() => createFetchHandler(manager, { maxConnectionsPerClient: 1 })).toThrow(/clientKey/)
    expect(() => createFetchHandler(manager, { maxConnections: 0 })).toThrow(TypeError)
    const handler = createFetchHandler(manager, {
      maxConnections: 3,
      maxConnectionsPerClient: 1,
      clientKey: (request) => request.headers.get('x-user') ?? undefined,
      onError: () => undefined,
    })
    const ask = (user: string) =>
      handler(new Request(`http://127.0.0.1${PATH('w1')}`, { headers: { 'x-user': user } }))
    const a = await ask('a')
    expect((await ask('a')).status).toBe(429)
    const b = await ask('b')
    const c = await ask('c')
    expect((await ask('d')).status).toBe(503)
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200])
    await a.body?.cancel()
    await eventually(() => handler.stats().connections === 2, 'the place of a to be given back')
    expect((await ask('d')).status).toBe(200)
    handler.close()
  })
})
