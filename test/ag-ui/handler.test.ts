import { afterEach, describe, expect, it } from 'vitest'
import { agUiCatalog, createAgUiHandler } from '../../src/ag-ui.js'
import { createStreamManager } from '../../src/index.js'
import { readBody } from '../helpers/http.js'
import { agentServer, httpAgent, textEvents } from './helpers.js'

// createAgUiHandler against an unmodified HttpAgent, and its routes byte for byte.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const HELLO = ['Hel', 'lo, ', 'wor', 'ld']

async function helloServer() {
  const served = await agentServer(async function* () {
    yield* textEvents('a1', HELLO)
  })
  cleanups.push(() => served.close())
  return served
}

function runInput(runId: string, threadId = 't1') {
  return JSON.stringify({
    threadId,
    runId,
    messages: [{ id: 'u1', role: 'user', content: 'Hi' }],
    tools: [],
    context: [],
  })
}

describe('createAgUiHandler', () => {
  it('an unmodified HttpAgent runs against it and ends with the full message', async () => {
    const { url, errors } = await helloServer()
    const agent = httpAgent(url)
    const result = await agent.runAgent()
    expect(result.newMessages).toEqual([{ id: 'a1', role: 'assistant', content: 'Hello, world' }])
    expect(agent.messages.at(-1)).toEqual({ id: 'a1', role: 'assistant', content: 'Hello, world' })
    expect(errors).toEqual([])
  })

  it("streams AG-UI's own frames, with ids, and names the run's stream in Location", async () => {
    const { url } = await helloServer()
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: runInput('r1'),
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('location')).toBe('/api/agent/runs/r1/stream')
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    const text = await readBody(response.body).end()
    // After the opening, the epoch frame (an id alone, which AG-UI's reader skips), then the run.
    expect(text).toMatch(/^retry: 1\n: ok\n\nid: [a-z][0-9a-z]{9}\.0\n\nid: 1\n/)
    expect(text.replace(/^id: [a-z][0-9a-z]{9}\.\d+\n\n/m, '')).toBe(
      'retry: 1\n: ok\n\n' +
        'id: 1\nevent: RUN_STARTED\ndata: {"type":"RUN_STARTED","threadId":"t1","runId":"r1"}\n\n' +
        'id: 2\nevent: TEXT_MESSAGE_START\ndata: {"type":"TEXT_MESSAGE_START","messageId":"a1","role":"assistant"}\n\n' +
        HELLO.map(
          (delta, i) =>
            `id: ${i + 3}\nevent: TEXT_MESSAGE_CONTENT\ndata: {"type":"TEXT_MESSAGE_CONTENT","messageId":"a1","delta":"${delta}"}\n\n`,
        ).join('') +
        'id: 7\nevent: TEXT_MESSAGE_END\ndata: {"type":"TEXT_MESSAGE_END","messageId":"a1"}\n\n' +
        'id: 8\nevent: RUN_FINISHED\ndata: {"type":"RUN_FINISHED","threadId":"t1","runId":"r1"}\n\n',
    )
    // The Location resumes after an id, and says 204 at the end of the finished run.
    const rest = await fetch(`${new URL(url).origin}/api/agent/runs/r1/stream`, {
      headers: { 'last-event-id': '6' },
    })
    const restText = await readBody(rest.body).end()
    expect(restText).toMatch(
      /^retry: 1\n: ok\n\nid: [a-z][0-9a-z]{9}\.6\n\nid: 7\nevent: TEXT_MESSAGE_END\n/,
    )
    const end = await fetch(`${new URL(url).origin}/api/agent/runs/r1/stream`, {
      headers: { 'last-event-id': '8' },
    })
    expect(end.status).toBe(204)
  })

  it("serves a thread's running run from its start, and 204 once it finished or for no run", async () => {
    let release: () => void = () => undefined
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const served = await agentServer(async function* () {
      yield* textEvents('a1', ['Hel'])
      await held
    })
    cleanups.push(() => served.close())
    const origin = new URL(served.url).origin
    const post = await fetch(served.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: runInput('r2', 'thread-2'),
    })
    const posted = readBody(post.body)
    cleanups.push(() => posted.cancel())
    await posted.until((text) => text.includes('TEXT_MESSAGE_END'))
    const attached = await fetch(`${origin}/api/agent/threads/thread-2/stream`)
    expect(attached.headers.get('location')).toBe('/api/agent/runs/r2/stream')
    const replay = readBody(attached.body)
    cleanups.push(() => replay.cancel())
    await replay.until((text) => text.includes('id: 1\nevent: RUN_STARTED'))
    release()
    await replay.end()
    expect(replay.text).toContain('event: RUN_FINISHED')
    expect((await fetch(`${origin}/api/agent/threads/thread-2/stream`)).status).toBe(204)
    expect((await fetch(`${origin}/api/agent/threads/nothing/stream`)).status).toBe(204)
  })

  it('writes the same bytes through its Fetch form as through toNodeHandler', async () => {
    const { url } = await helloServer()
    const viaNode = await readBody(
      (
        await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: runInput('node'),
        })
      ).body,
    ).end()
    const manager = createStreamManager({ catalog: agUiCatalog })
    const handler = createAgUiHandler(manager, {
      run: async function* () {
        yield* textEvents('a1', HELLO)
      },
      retryMs: 1,
    })
    cleanups.push(() => manager.close())
    const response = await handler(
      new Request('http://localhost/api/agent', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: runInput('node'),
      }),
    )
    expect(response.headers.get('location')).toBe('/api/agent/runs/node/stream')
    // Two stores, two epochs: the epoch frames differ by their epoch alone.
    const epochless = (text: string) => text.replace(/^id: [a-z][a-z0-9]*\.0$/m, 'id: <epoch>.0')
    expect(epochless(await readBody(response.body).end())).toBe(epochless(viaNode))
  })

  it('refuses a body that is no RunAgentInput with 400, a run that exists with 409', async () => {
    const { url } = await helloServer()
    const agent = httpAgent(url)
    const notInput = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"threadId": 1}',
    })
    expect(notInput.status).toBe(400)
    expect(((await notInput.json()) as { error: { code: string } }).error.code).toBe('invalid_body')
    await agent.runAgent({ runId: 'same' })
    await expect(agent.runAgent({ runId: 'same' })).rejects.toMatchObject({ status: 409 })
    const wrong = await fetch(`${url}/runs/x/stream`, { method: 'PUT' })
    expect(wrong.status).toBe(405)
  })

  it('answers 500 when the agent throws before its first event, revealing nothing', async () => {
    const served = await agentServer(() => {
      throw new Error('secret: no model key')
    })
    cleanups.push(() => served.close())
    await expect(httpAgent(served.url).runAgent()).rejects.toMatchObject({ status: 500 })
    expect(served.errors.map((error) => error.message).join()).toContain('no model key')
  })

  it('cancels a run from its route and from its thread route: the stream ends with RUN_ERROR', async () => {
    const served = await agentServer(async function* (_input, { signal }) {
      yield* textEvents('a1', ['Hel'])
      await new Promise((resolve) => signal.addEventListener('abort', resolve))
    })
    cleanups.push(() => served.close())
    const origin = new URL(served.url).origin
    for (const [runId, cancel] of [
      ['r-c1', '/api/agent/runs/r-c1/cancel'],
      ['r-c2', '/api/agent/threads/t-c2/cancel'],
    ] as const) {
      const post = await fetch(served.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: runInput(runId, runId === 'r-c1' ? 't-c1' : 't-c2'),
      })
      const body = readBody(post.body)
      await body.until((text) => text.includes('TEXT_MESSAGE_END'))
      const answer = await fetch(`${origin}${cancel}`, { method: 'POST' })
      expect(answer.status).toBe(202)
      const text = await body.end()
      expect(text).toContain(
        'event: RUN_ERROR\ndata: {"type":"RUN_ERROR","message":"Canceled by request.","code":"cancelled"}\n\n',
      )
    }
    expect(
      (await fetch(`${origin}/api/agent/threads/none/cancel`, { method: 'POST' })).status,
    ).toBe(404)
  })
})
