import { describe, expect, test } from 'vitest'
import { createStreamClient, StreamHttpError } from '../../src/client.js'
import { executionCatalog } from '../../src/index.js'
import { bodyOf, drain, fastOptions, frame, scriptedFetch, sseResponse } from './helpers.js'

const done = () => sseResponse(frame(1, 'complete', { status: 'SUCCESS' }))

describe('createStreamClient', () => {
  test('builds the server’s routes under basePath, with the id encoded', () => {
    const client = createStreamClient({ baseUrl: 'https://api.example.com/' })
    expect(client.url('workflow', 'exec 42')).toBe(
      'https://api.example.com/api/v0/executions/workflows/exec%2042/stream',
    )
    expect(client.url('agent', 'a/1')).toBe(
      'https://api.example.com/api/v0/executions/agents/a%2F1/stream',
    )
    const custom = createStreamClient({ baseUrl: 'https://api.example.com', basePath: '/streams' })
    expect(custom.url('task', 't1')).toBe(
      'https://api.example.com/streams/executions/tasks/t1/stream',
    )
    expect(() => custom.task('')).toThrow(TypeError)
  })

  test('workflow(), agent() and task() connect to their route, with events= when asked', async () => {
    const fetch = scriptedFetch(done(), done(), done())
    const client = createStreamClient({
      baseUrl: 'http://api.test',
      catalog: executionCatalog,
      fetch,
    })
    await drain(client.workflow('w1', fastOptions()))
    await drain(client.agent('a1', { ...fastOptions(), events: ['llm_chunk', 'complete'] }))
    await drain(client.task('t1', fastOptions()))
    expect(fetch.calls.map((c) => c.url)).toEqual([
      'http://api.test/api/v0/executions/workflows/w1/stream',
      'http://api.test/api/v0/executions/agents/a1/stream?events=llm_chunk,complete',
      'http://api.test/api/v0/executions/tasks/t1/stream',
    ])
  })

  test('the client’s headers and the call’s are both sent, functions called before every attempt', async () => {
    let n = 0
    const fetch = scriptedFetch(
      sseResponse(frame(1, 'llm_chunk', { text: 'a' })),
      sseResponse(frame(2, 'complete', { status: 'SUCCESS' })),
    )
    const client = createStreamClient({
      baseUrl: 'http://api.test',
      fetch,
      headers: () => ({ authorization: `Bearer ${++n}`, 'x-app': 'one' }),
    })
    await drain(
      client.workflow('w1', { ...fastOptions(), headers: { 'x-app': 'two', 'x-call': 'yes' } }),
    )
    expect(
      fetch.calls.map((c) => [
        c.headers.get('authorization'),
        c.headers.get('x-app'),
        c.headers.get('x-call'),
      ]),
    ).toEqual([
      ['Bearer 1', 'two', 'yes'],
      ['Bearer 2', 'two', 'yes'],
    ])
  })

  test('text() yields the text as it arrives, multi-byte characters split across chunks included', async () => {
    const bytes = new TextEncoder().encode('Hello, wörld 🌍')
    const fetch = scriptedFetch(
      new Response(bodyOf(bytes.slice(0, 9), bytes.slice(9, 15), bytes.slice(15)), {
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      }),
    )
    const client = createStreamClient({ baseUrl: 'http://api.test', fetch })
    const parts: string[] = []
    for await (const part of client.text('agent', 'a1')) parts.push(part)
    expect(parts.join('')).toBe('Hello, wörld 🌍')
    expect(parts.length).toBeGreaterThan(1)
    expect(fetch.calls[0]?.url).toBe(
      'http://api.test/api/v0/executions/agents/a1/stream?format=text',
    )
  })

  test('text() throws a StreamHttpError with the server’s JSON body on an error status', async () => {
    const body = {
      status: 400,
      error: { code: 'invalid_request', message: 'no text for workflows' },
    }
    const fetch = scriptedFetch(Response.json(body, { status: 400 }))
    const client = createStreamClient({ baseUrl: 'http://api.test', fetch })
    const error = await (async () => {
      try {
        for await (const _ of client.text('task', 't1')) {
          // nothing arrives
        }
      } catch (thrown) {
        return thrown
      }
    })()
    expect(error).toBeInstanceOf(StreamHttpError)
    expect(error).toMatchObject({ status: 400, body })
  })

  test('break in text() aborts the request', async () => {
    const fetch = scriptedFetch(
      new Response(new ReadableStream({ pull: (c) => c.enqueue(new TextEncoder().encode('x')) })),
    )
    const client = createStreamClient({ baseUrl: 'http://api.test', fetch })
    for await (const part of client.text('agent', 'a1')) {
      expect(part).toBe('x')
      break
    }
    expect(fetch.calls[0]?.signal.aborted).toBe(true)
  })
})
