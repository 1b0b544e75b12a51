import { get } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { createFaultServer, type FaultServer } from '../../src/testing.js'
import { pause, waitFor } from '../helpers/wait.js'

interface Received {
  status: number
  headers: Record<string, string | string[] | undefined>
  chunks: Buffer[]
  /** How the body ended: cleanly, or with the socket torn down. */
  ending: 'end' | 'aborted'
}

// Reads a whole response, noting each chunk as it arrived. `enough(body)` ends the read early
// (as 'aborted'), once the test has what it waits for; `timeoutMs` is a limit on failure.
function fetchRaw(
  url: string,
  headers: Record<string, string> = {},
  timeoutMs = 10_000,
  enough?: (body: string) => boolean,
): Promise<Received> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers }, (res) => {
      const chunks: Buffer[] = []
      const stop = () => {
        clearTimeout(timer)
        res.destroy()
        resolve({ status: res.statusCode ?? 0, headers: res.headers, chunks, ending: 'aborted' })
      }
      const timer = setTimeout(stop, timeoutMs)
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk)
        if (enough?.(Buffer.concat(chunks).toString())) stop()
      })
      res.on('end', () => {
        clearTimeout(timer)
        resolve({ status: res.statusCode ?? 0, headers: res.headers, chunks, ending: 'end' })
      })
      res.on('error', () => {
        clearTimeout(timer)
        resolve({ status: res.statusCode ?? 0, headers: res.headers, chunks, ending: 'aborted' })
      })
    })
    req.on('error', reject)
  })
}

describe('createFaultServer', () => {
  let server: FaultServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('answers requests in script order, repeating the last answer', async () => {
    server = await createFaultServer({
      answers: [
        { kind: 'status', status: 502, body: 'bad gateway' },
        { kind: 'json-error', status: 401, body: { error: { code: 'unauthorized' } } },
        { kind: 'no-content' },
      ],
    })
    const first = await fetchRaw(`${server.url}/a`)
    const second = await fetchRaw(`${server.url}/b`, { 'last-event-id': '7' })
    const third = await fetchRaw(`${server.url}/c`)
    const fourth = await fetchRaw(`${server.url}/d`)
    expect([first.status, second.status, third.status, fourth.status]).toEqual([502, 401, 204, 204])
    expect(Buffer.concat(second.chunks).toString()).toBe('{"error":{"code":"unauthorized"}}')
    expect(server.requests.map((r) => [r.attempt, r.url, r.lastEventId])).toEqual([
      [1, '/a', undefined],
      [2, '/b', '7'],
      [3, '/c', undefined],
      [4, '/d', undefined],
    ])
  })

  it('sends exact SSE bytes, cut at every byte when asked, multi-byte characters included', async () => {
    server = await createFaultServer({
      answers: [
        {
          kind: 'stream',
          prelude: '\uFEFF: hello\n\n',
          events: [
            { id: '1', event: 'llm_chunk', data: { text: 'é🚀' } },
            { data: 'two\r\nlines' },
          ],
          split: 'every-byte',
        },
      ],
    })
    const { chunks, headers, ending } = await fetchRaw(server.url)
    const expected =
      '\uFEFF: hello\n\nid: 1\nevent: llm_chunk\ndata: {"text":"é🚀"}\n\ndata: two\ndata: lines\n\n'
    expect(Buffer.concat(chunks).toString('utf8')).toBe(expected)
    expect(headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(ending).toBe('end')
    // The network may merge small writes, but never so far that cuts vanish entirely.
    expect(chunks.length).toBeGreaterThan(1)
  })

  it('drops the connection in the middle of the last event', async () => {
    server = await createFaultServer({
      answers: [
        {
          kind: 'stream',
          events: [
            { id: '1', data: 'whole' },
            { id: '2', data: 'cut-in-half-event' },
          ],
          end: 'destroy-mid-event',
        },
      ],
    })
    const { chunks, ending } = await fetchRaw(server.url)
    const text = Buffer.concat(chunks).toString('utf8')
    expect(text.startsWith('id: 1\ndata: whole\n\nid: 2\ndata: cut')).toBe(true)
    expect(text.endsWith('\n\n')).toBe(false)
    expect(ending).toBe('aborted')
  })

  it('drops the connection after exactly cutAfterBytes, even inside a UTF-8 character', async () => {
    const event = { id: '1', data: 'é🚀' }
    const whole = Buffer.from('id: 1\ndata: é🚀\n\n', 'utf8')
    // Byte 13 is inside "é" (bytes 12-13); 16 is inside the rocket (bytes 14-17).
    for (const cutAfterBytes of [0, 13, 16, whole.length - 1]) {
      server = await createFaultServer({
        answers: [{ kind: 'stream', events: [event], cutAfterBytes }],
      })
      const { chunks, ending } = await fetchRaw(server.url)
      expect(Buffer.concat(chunks)).toEqual(whole.subarray(0, cutAfterBytes))
      expect(ending).toBe('aborted')
      await server.close()
      server = undefined
    }
  })

  it('goes silent with the socket open (half-open), until dropped', async () => {
    server = await createFaultServer({
      answers: [{ kind: 'stream', events: [{ id: '1', data: 'x' }], end: 'hang' }],
    })
    let body = ''
    const pending = fetchRaw(server.url, {}, 10_000, (received) => {
      body = received
      return false
    })
    await waitFor(() => body === 'id: 1\ndata: x\n\n', { what: 'the event' })
    // Past the event, nothing ends it: it is still open a heartbeat-less moment later.
    await pause(100)
    expect(server.openConnections).toBe(1)
    server.dropConnections()
    const { chunks, ending } = await pending
    expect(Buffer.concat(chunks).toString()).toBe('id: 1\ndata: x\n\n')
    expect(ending).toBe('aborted')
  })

  it('sends heartbeats while keeping a stream open', async () => {
    server = await createFaultServer({
      answers: [{ kind: 'stream', end: 'keep-open', heartbeatMs: 20 }],
    })
    const { chunks } = await fetchRaw(server.url, {}, 10_000, (body) =>
      /^(: keep-alive\n\n){3}/.test(body),
    )
    expect(Buffer.concat(chunks).toString()).toMatch(/^(: keep-alive\n\n){3,}/)
  })

  it('answers with a wrong content type', async () => {
    server = await createFaultServer({ answers: [{ kind: 'wrong-content-type' }] })
    const { status, headers } = await fetchRaw(server.url)
    expect(status).toBe(200)
    expect(headers['content-type']).toMatch(/^text\/html/)
  })
})
