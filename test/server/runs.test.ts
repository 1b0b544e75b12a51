import { afterEach, describe, expect, it } from 'vitest'
import { type ClientEvent, connect } from '../../src/client.js'
import {
  createStreamManager,
  executionCatalog,
  isRunstreamError,
  memoryStore,
  type RunstreamError,
} from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'
import {
  createFetchHandler,
  createRunResponse,
  createSseResponse,
  type HandlerOptions,
  type RunStart,
  readJsonBody,
} from '../../src/server.js'
import { envelopesOf, post, startServer, type TestServer, waitFor } from '../helpers/http.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

type Catalog = typeof executionCatalog

interface Seen {
  method: string
  url: string
  lastEventId: string | undefined
  body: number
}

/** A Node handler with runs on a real server, logging every request it receives. */
async function serve(
  options: HandlerOptions<Catalog> = {},
  managerOptions: { cancelGraceMs?: number } = {},
) {
  const errors: RunstreamError[] = []
  const manager = createStreamManager({
    catalog: executionCatalog,
    store: memoryStore(),
    onError: (error) => errors.push(error),
    ...managerOptions,
  })
  const handler = createNodeHandler(manager, {
    retryMs: 20,
    onError: (error) => errors.push(error),
    ...options,
  })
  const requests: Seen[] = []
  const server = await startServer((req, res) => {
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      lastEventId: req.headers['last-event-id'] as string | undefined,
      body: Number(req.headers['content-length'] ?? 0),
    })
    void handler(req, res)
  })
  cleanups.push(async () => {
    handler.close()
    await server.close()
    await manager.close()
  })
  return { manager, handler, server, errors, requests }
}

/** A promise and the function that settles it. */
function gate(): { promise: Promise<void>; open(): void } {
  let open: () => void = () => {}
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}

/** A raw request to the test server; resolves with status, headers and body text. */
async function send(
  server: TestServer,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(server.url + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body }),
  })
  return { status: response.status, headers: response.headers, text: await response.text() }
}

describe('POST starts a run: one process', () => {
  it('survives two server-side drops: every event once, in order, through GETs at the Location, the body sent once, the run never cancelled', async () => {
    const gates = [gate(), gate()]
    let started: RunStart<Catalog> | undefined
    const { server, manager, requests, errors } = await serve({
      start: async (run) => {
        started = run
        const { stream } = run
        stream.emit('workflow_start', { workflow_id: 'chat', execution_id: run.id })
        for (let n = 1; n <= 30; n++) {
          stream.emit('llm_chunk', { text: `t${n} ` })
          if (n === 10) await gates[0]?.promise
          if (n === 20) await gates[1]?.promise
        }
        stream.emit('complete', { status: 'SUCCESS' })
      },
    })
    const events: ClientEvent<Catalog>[] = []
    const subscription = connect(`${server.url}/api/v0/executions/workflows`, {
      method: 'POST',
      body: JSON.stringify({ prompt: 'Plan a trip' }),
      headers: { 'content-type': 'application/json' },
      catalog: executionCatalog,
      reconnect: { initialDelayMs: 10, maxDelayMs: 50, jitter: false },
      onError: () => {},
    })
    cleanups.push(() => subscription.close())
    const done = (async () => {
      for await (const event of subscription) events.push(event)
    })()

    for (const [drop, pending] of gates.entries()) {
      await waitFor(() => events.length >= 11 + drop * 10, 5000, `${11 + drop * 10} events`)
      server.dropConnections()
      // The client comes back with a GET at the Location, after the last id it received.
      await waitFor(() => requests.length >= drop + 2, 5000, `reconnect ${drop + 1}`)
      pending.open()
    }
    await done

    const run = started as RunStart<Catalog>
    expect(events.map((event) => Number(event.id))).toEqual(
      Array.from({ length: 32 }, (_, i) => i + 1),
    )
    expect(events.filter((e) => e.type === 'llm_chunk').map((e) => e.data)).toEqual(
      Array.from({ length: 30 }, (_, i) => ({ text: `t${i + 1} ` })),
    )
    expect(events.at(-1)?.type).toBe('complete')
    const streamPath = `/api/v0/executions/workflows/${run.id}/stream`
    // Each resume sends the last id received, qualified with the stream's epoch.
    const { epoch } = await manager.store.read(`workflow:${run.id}`)
    expect(requests.map(({ method, url, lastEventId }) => [method, url, lastEventId])).toEqual([
      ['POST', '/api/v0/executions/workflows', undefined],
      ['GET', streamPath, `${epoch}.11`],
      ['GET', streamPath, `${epoch}.21`],
    ])
    expect(requests.filter((r) => r.body > 0)).toHaveLength(1)
    expect(run.input).toEqual({ prompt: 'Plan a trip' })
    expect(run.signal.aborted).toBe(false)
    expect(errors).toEqual([])
  })

  it('answers with the run’s stream from its first event, with Location and Content-Location', async () => {
    const { server } = await serve({
      start: ({ stream, id }) => {
        stream.emit('workflow_start', { workflow_id: 'w', execution_id: id })
        stream.emit('complete', { status: 'SUCCESS' })
      },
    })
    const response = await send(server, 'POST', '/api/v0/executions/agents', '{}')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    const location = response.headers.get('location') ?? ''
    expect(location).toMatch(/^\/api\/v0\/executions\/agents\/[A-Za-z0-9_-]{22}\/stream$/)
    expect(response.headers.get('content-location')).toBe(location)
    const id = location.split('/')[5]
    expect(envelopesOf(response.text)).toEqual([
      { id: '1', type: 'workflow_start', data: { workflow_id: 'w', execution_id: id } },
      { id: '2', type: 'complete', data: { status: 'SUCCESS' } },
    ])
  })

  it('waits for the first event of a start that awaits before emitting', async () => {
    const ready = gate()
    const { server } = await serve({
      start: async ({ stream }) => {
        await ready.promise
        stream.emit('task_status', { status: 'RUNNING' })
        stream.emit('complete', { status: 'SUCCESS' })
      },
    })
    const pending = send(server, 'POST', '/api/v0/executions/tasks', '{}')
    ready.open()
    const response = await pending
    expect(response.status).toBe(200)
    expect(envelopesOf(response.text).map((e) => e.type)).toEqual(['task_status', 'complete'])
  })
  it('answers at the first event however it was emitted, not after heartbeatMs', async () => {
    const ready = gate()
    let entered = false
    let manager: ReturnType<typeof createStreamManager<Catalog>> | undefined
    const served = await serve({
      heartbeatMs: 600_000,
      start: async ({ name }) => {
        entered = true
        await ready.promise
        // Another handle of the same stream, as code that only knows the name writes it.
        manager?.stream(name).emit('task_status', { status: 'RUNNING' })
        await new Promise(() => undefined)
      },
    })
    manager = served.manager
    const pending = postRaw(served.server, '/api/v0/executions/tasks', '{}')
    await waitFor(() => entered, 5000, 'start called')
    ready.open()
    const response = await pending
    expect(response.status).toBe(200)
    await response.until((text) => text.includes('RUNNING'))
    response.destroy()
  })
})

describe('a finished run', () => {
  it('replays its history to a GET without a cursor, and answers 204 to one at its last id', async () => {
    const { server } = await serve({
      start: ({ stream }) => {
        stream.emit('llm_chunk', { text: 'a' })
        stream.emit('complete', { status: 'SUCCESS' })
      },
    })
    const started = await send(server, 'POST', '/api/v0/executions/agents', '{}')
    const location = started.headers.get('location') ?? ''
    const history = await send(server, 'GET', location)
    expect(history.status).toBe(200)
    expect(envelopesOf(history.text).map((e) => e.id)).toEqual(['1', '2'])
    const atEnd = await send(server, 'GET', location, undefined, { 'last-event-id': '2' })
    expect(atEnd.status).toBe(204)
    expect(atEnd.text).toBe('')
  })
})

describe('bad input', () => {
  it('answers a body that is not JSON with a JSON 400, before start', async () => {
    let calls = 0
    const { server } = await serve({ start: () => void calls++ })
    for (const body of ['not json', '', '{"a":']) {
      const response = await send(server, 'POST', '/api/v0/executions/workflows', body)
      expect(response.status).toBe(400)
      expect(response.headers.get('content-type')).toMatch(/^application\/json/)
      expect(JSON.parse(response.text)).toMatchObject({
        status: 400,
        error: { code: 'invalid_body' },
      })
    }
    expect(calls).toBe(0)
  })

  it('answers a body over maxBodyBytes (1 MiB by default) with a JSON 413', async () => {
    let calls = 0
    const { server } = await serve({ start: () => void calls++ })
    const over = `{"x":"${'a'.repeat(1_048_576)}"}`
    const response = await send(server, 'POST', '/api/v0/executions/workflows', over)
    expect(response.status).toBe(413)
    expect(JSON.parse(response.text)).toMatchObject({
      status: 413,
      error: { code: 'body_too_large', details: { maxBodyBytes: 1_048_576 } },
    })
    const small = await serve({ start: () => void calls++, maxBodyBytes: 100 })
    const refused = await send(
      small.server,
      'POST',
      '/api/v0/executions/workflows',
      `{"x":"${'a'.repeat(200)}"}`,
    )
    expect(refused.status).toBe(413)
    // Without a Content-Length (chunked), the limit holds as the body is read.
    const chunked = await fetch(`${small.server.url}/api/v0/executions/workflows`, {
      method: 'POST',
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 10; i++)
            controller.enqueue(new TextEncoder().encode('"aaaaaaaaaaaaaaa'))
          controller.close()
        },
      }),
      duplex: 'half',
    } as RequestInit)
    expect(chunked.status).toBe(413)
    expect(calls).toBe(0)
  })

  it('answers a start that throws with a 500 that reveals nothing, reported to onError', async () => {
    const { server, errors } = await serve({
      start: () => {
        throw new Error('db password is hunter2')
      },
    })
    const response = await send(server, 'POST', '/api/v0/executions/workflows', '{}')
    expect(response.status).toBe(500)
    expect(JSON.parse(response.text)).toEqual({
      status: 500,
      error: { code: 'internal_error', message: 'The server failed to handle this request.' },
    })
    expect(response.text).not.toContain('hunter2')
    expect(response.headers.get('location')).toBeNull()
    expect(errors.map((error) => error.code)).toEqual(['handler_failed'])
    expect((errors[0]?.cause as Error | undefined)?.message).toBe('db password is hunter2')
    expect(errors[0]?.details).toMatchObject({ hook: 'start' })
  })

  it('answers a start that rejects before its first event with a 500, and cancels the run', async () => {
    let signal: AbortSignal | undefined
    const { server, errors } = await serve({
      start: async (run) => {
        signal = run.signal
        await Promise.resolve()
        throw new Error('model unavailable at 10.0.0.3')
      },
    })
    const response = await send(server, 'POST', '/api/v0/executions/workflows', '{}')
    expect(response.status).toBe(500)
    expect(response.text).not.toContain('10.0.0.3')
    expect(errors.map((error) => error.code)).toEqual(['handler_failed'])
    await waitFor(() => signal?.aborted === true, 5000, 'the run cancelled')
  })

  it('reports a start that rejects after its first event, and ends the run with error CANCELED', async () => {
    const { server, errors } = await serve(
      {
        start: async ({ stream }) => {
          stream.emit('workflow_status', { status: 'RUNNING' })
          await Promise.resolve()
          throw new Error('step 2 failed')
        },
      },
      { cancelGraceMs: 10 },
    )
    const response = await send(server, 'POST', '/api/v0/executions/workflows', '{}')
    expect(response.status).toBe(200)
    expect(envelopesOf(response.text).map((e) => [e.type, e.data])).toEqual([
      ['workflow_status', { status: 'RUNNING' }],
      ['error', { status: 'CANCELED', error: { message: 'The run failed.', code: 'canceled' } }],
    ])
    expect(errors.map((error) => error.code)).toEqual(['handler_failed'])
  })

  it('cancels with 202 twice harmlessly, and answers 404 for an unknown run', async () => {
    let signal: AbortSignal | undefined
    const { server, manager } = await serve(
      {
        start: ({ stream, signal: s }) => {
          signal = s
          stream.emit('workflow_status', { status: 'RUNNING' })
        },
      },
      { cancelGraceMs: 20 },
    )
    const response = await fetch(`${server.url}/api/v0/executions/workflows`, {
      method: 'POST',
      body: '{}',
    })
    const location = response.headers.get('location') ?? ''
    const id = location.split('/')[5] ?? ''
    const body = response.text()
    const cancel = `/api/v0/executions/workflows/${id}/cancel`
    const first = await send(server, 'POST', cancel)
    expect(first.status).toBe(202)
    expect(JSON.parse(first.text)).toEqual({
      status: 202,
      stream: `workflow:${id}`,
      outcome: 'canceled',
    })
    const second = await send(server, 'POST', cancel)
    expect(second.status).toBe(202)
    expect(signal?.aborted).toBe(true)
    // The producer ignored the signal: runstream ended the stream, once.
    expect(envelopesOf(await body).map((e) => e.type)).toEqual(['workflow_status', 'error'])
    const read = await manager.store.read(`workflow:${id}`)
    expect(read.events.map((e) => e.envelope.type)).toEqual(['workflow_status', 'error'])
    const after = await send(server, 'POST', cancel)
    expect(JSON.parse(after.text)).toMatchObject({ outcome: 'finished' })
    const unknown = await send(server, 'POST', '/api/v0/executions/workflows/nobody/cancel')
    expect(unknown.status).toBe(404)
    expect(JSON.parse(unknown.text)).toMatchObject({ error: { code: 'run_not_found' } })
    const badId = await send(server, 'POST', '/api/v0/executions/workflows/a%20b/cancel')
    expect(badId.status).toBe(400)
  })

  it('asks authorize for both run routes, with the stream name', async () => {
    const asked: [string, string][] = []
    let calls = 0
    const { server, manager } = await serve({
      start: () => void calls++,
      authorize: (request, stream) => {
        asked.push([request.method, stream])
        return request.headers.get('authorization') === 'Bearer ok'
      },
    })
    const refused = await send(server, 'POST', '/api/v0/executions/tasks', '{}')
    expect(refused.status).toBe(403)
    expect(calls).toBe(0)
    manager.stream('task:t1').emit('task_status', { status: 'RUNNING' })
    const cancel = await send(server, 'POST', '/api/v0/executions/tasks/t1/cancel')
    expect(cancel.status).toBe(403)
    expect(asked[0]?.[0]).toBe('POST')
    expect(asked[0]?.[1]).toMatch(/^task:[A-Za-z0-9_-]{22}$/)
    expect(asked[1]).toEqual(['POST', 'task:t1'])
    const allowed = await send(server, 'POST', '/api/v0/executions/tasks/t1/cancel', undefined, {
      authorization: 'Bearer ok',
    })
    expect(allowed.status).toBe(202)
  })

  it('serves the run routes only with POST, and only when asked', async () => {
    const { server } = await serve({ start: () => undefined })
    const get = await send(server, 'GET', '/api/v0/executions/workflows')
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    const getCancel = await send(server, 'GET', '/api/v0/executions/workflows/w/cancel')
    expect(getCancel.status).toBe(405)
    const plain = await serve()
    const notServed = await send(plain.server, 'POST', '/api/v0/executions/workflows', '{}')
    expect(notServed.status).toBe(404)
    const noCancel = await send(plain.server, 'POST', '/api/v0/executions/workflows/w/cancel')
    expect(noCancel.status).toBe(404)
    const cancelOnly = await serve({ cancelRoute: true })
    cancelOnly.manager.stream('workflow:w').emit('workflow_status', { status: 'RUNNING' })
    const canceled = await send(cancelOnly.server, 'POST', '/api/v0/executions/workflows/w/cancel')
    expect(canceled.status).toBe(202)
  })

  it('answers a preflight of the run routes with POST, and lets a page read the Location', async () => {
    const { server } = await serve({
      cors: { origin: 'https://app.example' },
      start: ({ stream }) => stream.emit('complete', { status: 'SUCCESS' }),
    })
    const preflight = await send(server, 'OPTIONS', '/api/v0/executions/workflows', undefined, {
      origin: 'https://app.example',
      'access-control-request-method': 'POST',
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS')
    const started = await send(server, 'POST', '/api/v0/executions/workflows', '{}', {
      origin: 'https://app.example',
    })
    expect(started.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(started.headers.get('access-control-expose-headers')).toBe('Location, Content-Location')
  })

  it('refuses bad run options, and a store without runs, when the handler is created', () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    expect(() => createNodeHandler(manager, { start: 'yes' as never })).toThrow(/`start`/)
    expect(() => createNodeHandler(manager, { cancelRoute: 1 as never })).toThrow(/cancelRoute/)
    expect(() => createNodeHandler(manager, { maxBodyBytes: 0 })).toThrow(/maxBodyBytes/)
    expect(() => createNodeHandler(manager, { cancelOnDisconnect: 'no' as never })).toThrow(
      /cancelOnDisconnect/,
    )
    const plain = memoryStore()
    const runless = createStreamManager({
      catalog: executionCatalog,
      store: {
        append: (d) => plain.append(d),
        read: (s, o) => plain.read(s, o),
        listen: (s, l) => plain.listen(s, l),
      },
    })
    expect(() => createFetchHandler(runless, { start: () => undefined })).toThrow(
      /createFetchHandler: the manager's store does not support runs/,
    )
    expect(() => createFetchHandler(runless)).not.toThrow()
  })
})

describe('disconnects', () => {
  async function startAndLeave(handlerOptions: HandlerOptions<Catalog>) {
    const finish = gate()
    let run: RunStart<Catalog> | undefined
    const served = await serve({
      ...handlerOptions,
      start: async (r) => {
        run = r
        r.stream.emit('workflow_status', { status: 'RUNNING' })
        await finish.promise
        if (!r.signal.aborted) r.stream.emit('complete', { status: 'SUCCESS' })
      },
    })
    const response = await postRaw(served.server, '/api/v0/executions/workflows', '{}')
    await response.until((text) => text.includes('RUNNING'))
    response.destroy()
    return { ...served, finish, run: () => run as RunStart<Catalog> }
  }

  it('never cancels a run when its client leaves, by default', async () => {
    const { finish, run, manager, handler } = await startAndLeave({})
    await waitFor(() => handler.stats().connections === 0, 5000, 'the connection released')
    expect(run().signal.aborted).toBe(false)
    finish.open()
    await waitFor(() => manager.stream(run().name).finished, 5000, 'the run finished')
    expect((await manager.store.read(run().name)).events.at(-1)?.envelope.type).toBe('complete')
  })

  it('cancels the run when its client leaves, with cancelOnDisconnect', async () => {
    const { run } = await startAndLeave({ cancelOnDisconnect: true })
    await waitFor(() => run().signal.aborted, 5000, 'the run cancelled')
    expect(isRunstreamError(run().signal.reason, 'run_canceled')).toBe(true)
  })

  it('does not cancel runs when the server shuts down, even with cancelOnDisconnect', async () => {
    const finish = gate()
    let signal: AbortSignal | undefined
    const { server, handler } = await serve({
      cancelOnDisconnect: true,
      start: async (r) => {
        signal = r.signal
        r.stream.emit('workflow_status', { status: 'RUNNING' })
        await finish.promise
      },
    })
    const response = await postRaw(server, '/api/v0/executions/workflows', '{}')
    await response.until((text) => text.includes('RUNNING'))
    handler.close()
    await response.end()
    expect(response.text).toContain('event: runstream.error')
    expect(signal?.aborted).toBe(false)
    finish.open()
  })
})

describe('the same routes on the Fetch handler', () => {
  it('starts a run with POST and streams it, with its Location', async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    cleanups.push(() => manager.close())
    const handler = createFetchHandler(manager, {
      start: ({ stream, input }) => {
        stream.emit('llm_chunk', { text: String((input as { prompt: string }).prompt) })
        stream.emit('complete', { status: 'SUCCESS' })
      },
    })
    const response = await handler(
      new Request('http://x/api/v0/executions/agents', { method: 'POST', body: '{"prompt":"hi"}' }),
    )
    expect(response.status).toBe(200)
    expect(response.headers.get('location')).toMatch(/^\/api\/v0\/executions\/agents\/.+\/stream$/)
    expect(envelopesOf(await response.text()).map((e) => e.data)).toEqual([
      { text: 'hi' },
      { status: 'SUCCESS' },
    ])
    const notJson = await handler(
      new Request('http://x/api/v0/executions/agents', { method: 'POST', body: 'x' }),
    )
    expect(notJson.status).toBe(400)
  })
})

/** POSTs on a fresh connection and reads the answer as it comes. */
function postRaw(server: TestServer, path: string, body: string) {
  return post(`${server.url}${path}`, body)
}

describe('routes of your own', () => {
  it('createRunResponse starts a run of any kind under a chosen id, with the input given', async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    cleanups.push(() => manager.close())
    const seen: unknown[] = []
    const start = (run: RunStart<Catalog>) => {
      seen.push([run.kind, run.id, run.input])
      run.stream.emit('complete', { status: 'SUCCESS' })
    }
    const request = () => new Request('http://x/api/chat', { method: 'POST', body: 'ignored' })
    const response = await createRunResponse(manager, request(), {
      kind: 'chat',
      id: 'c1-1',
      input: { prompt: 'hi' },
      location: (run) => `/api/chat/runs/${run.id}/stream`,
      start,
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('location')).toBe('/api/chat/runs/c1-1/stream')
    expect(envelopesOf(await response.text()).map((e) => e.type)).toEqual(['complete'])
    expect(seen).toEqual([['chat', 'c1-1', { prompt: 'hi' }]])
    // The same id again: its stream exists.
    const again = await createRunResponse(manager, request(), {
      kind: 'chat',
      id: 'c1-1',
      input: {},
      location: '/x',
      start,
    })
    expect(again.status).toBe(409)
    expect(await again.json()).toMatchObject({ error: { code: 'run_exists' } })
    // An id a client chose that no route could carry.
    const bad = await createRunResponse(manager, request(), {
      kind: 'chat',
      id: '../x',
      location: '/x',
      start,
    })
    expect(bad.status).toBe(400)
    // Without `input`, the body is read as JSON.
    const notJson = await createRunResponse(manager, request(), {
      kind: 'chat',
      location: '/x',
      start,
    })
    expect(notJson.status).toBe(400)
    expect(seen).toHaveLength(1)
    await expect(
      createRunResponse(manager, request(), { kind: 'a b', location: '/x', start }),
    ).rejects.toThrow(TypeError)
    await expect(
      createRunResponse(manager, request(), { kind: 'chat', location: '', start }),
    ).rejects.toThrow(/location/)
  })

  it('readJsonBody answers as the run routes do', async () => {
    const ok = await readJsonBody(new Request('http://x', { method: 'POST', body: '{"a":1}' }))
    expect(ok).toEqual({ ok: true, value: { a: 1 } })
    const bad = await readJsonBody(new Request('http://x', { method: 'POST', body: 'x' }))
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.response.status).toBe(400)
    const big = await readJsonBody(new Request('http://x', { method: 'POST', body: '"aaaa"' }), {
      maxBodyBytes: 3,
    })
    if (big.ok) throw new Error('expected a refusal')
    expect(big.response.status).toBe(413)
    expect(await big.response.json()).toMatchObject({ error: { code: 'body_too_large' } })
  })

  it('the Node handler’s startRun and respond serve run routes of your own', async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    const handler = createNodeHandler(manager, { retryMs: 20 })
    const server = await startServer((req, res) => {
      const url = req.url ?? ''
      if (req.method === 'POST' && url === '/chat') {
        void handler.startRun(req, res, {
          kind: 'chat',
          location: (run) => `/chat/${run.id}`,
          start: ({ stream, input }) => {
            stream.emit('llm_chunk', { text: (input as { q: string }).q })
            stream.emit('complete', { status: 'SUCCESS' })
          },
        })
      } else void handler.respond(req, res, `chat:${url.slice('/chat/'.length)}`)
    })
    cleanups.push(async () => {
      handler.close()
      await server.close()
      await manager.close()
    })
    const started = await send(server, 'POST', '/chat', '{"q":"hello"}')
    expect(started.status).toBe(200)
    const location = started.headers.get('location') ?? ''
    expect(location).toMatch(/^\/chat\/[\w-]{22}$/)
    expect(envelopesOf(started.text).map((e) => e.data)).toEqual([
      { text: 'hello' },
      { status: 'SUCCESS' },
    ])
    const again = await send(server, 'GET', location)
    expect(envelopesOf(again.text)).toHaveLength(2)
  })

  it('createSseResponse and respond refuse a POST without location, and set it when given', async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    cleanups.push(() => manager.close())
    manager.stream('run:1').emit('complete', { status: 'SUCCESS' })
    const post = () => new Request('http://x/runs', { method: 'POST', body: '{}' })
    await expect(createSseResponse(manager, post(), 'run:1')).rejects.toThrow(/needs `location`/)
    const handler = createFetchHandler(manager, { cors: { origin: '*' } })
    expect(() => handler.respond(post(), 'run:1')).toThrow(TypeError)
    expect(() => handler.respond(post(), 'run:1', { location: 'a\nb' })).toThrow(/location/)
    const response = await handler.respond(post(), 'run:1', {
      location: new URL('http://x/runs/1/events'),
    })
    expect(response.headers.get('location')).toBe('http://x/runs/1/events')
    expect(response.headers.get('content-location')).toBe('http://x/runs/1/events')
    expect(response.headers.get('access-control-expose-headers')).toBe('Location, Content-Location')
    const get = await createSseResponse(manager, new Request('http://x/runs/1/events'), 'run:1')
    expect(get.headers.get('location')).toBeNull()
    await get.text()
    await response.text()
  })

  it('does not take a path segment such as constructor for a kind', async () => {
    const { server } = await serve({ start: () => undefined })
    for (const path of [
      '/api/v0/executions/constructor/x/stream',
      '/api/v0/executions/__proto__',
      '/api/v0/executions/toString/x/cancel',
    ]) {
      const method = path.endsWith('/stream') ? 'GET' : 'POST'
      expect((await send(server, method, path, method === 'POST' ? '{}' : undefined)).status).toBe(
        404,
      )
    }
  })
})
