import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStreamManager, executionCatalog } from '../../src/index.js'
import { createFetchHandler } from '../../src/server.js'
import { type Runstream, startRunstream } from '../reliability/harness.js'
import { rawGet } from './raw-http.js'

// A client allowed to watch one stream tries to reach another through the path: traversal,
// encodings, case, kind confusion, separators, lookalikes, absolute forms, very long ids. Whatever
// the path, the stream served is the one `authorize` was asked about, so the secret never leaks.

const ALLOWED = 'workflow:allowed'
const SECRET_MARK = 'SECRET-PAYLOAD-d41d8c'

/** Only `workflow:allowed` may be watched; every stream asked about is recorded. */
const asked: string[] = []
const authorize = (_request: Request, stream: string) => {
  asked.push(stream)
  return stream === ALLOWED
}

let runstream: Runstream
beforeAll(async () => {
  runstream = await startRunstream({ authorize, heartbeatMs: 60_000 })
  fill(runstream.manager)
})
afterAll(() => runstream.close())

function fill(manager: Runstream['manager']): void {
  manager.stream(ALLOWED).emit('llm_chunk', { text: 'allowed-payload' })
  // Every other stream a trick might land on holds the secret, and is finished (a 204 would tell).
  for (const name of [
    'workflow:secret',
    'agent:allowed',
    'task:allowed',
    'workflow:Allowed',
    'workflow:allowed.',
    'workflow:allowed:x',
    'workflow:allowed/../secret',
    'workflow:..',
    'workflow:secret/allowed',
  ]) {
    manager.stream(name).emit('llm_chunk', { text: SECRET_MARK })
    manager.stream(name).emit('complete', { status: 'SUCCESS' })
  }
}

const base = '/api/v0/executions'
const TRICKS: readonly string[] = [
  `${base}/workflows/secret/stream`,
  `${base}/workflows/allowed/../secret/stream`,
  `${base}/workflows/allowed/%2e%2e/secret/stream`,
  `${base}/workflows/allowed/%2E%2E/secret/stream`,
  `${base}/workflows/allowed/.%2e/secret/stream`,
  `${base}/workflows/allowed%2F..%2Fsecret/stream`,
  `${base}/workflows/allowed%2f..%2fsecret/stream`,
  `${base}/workflows/%2e%2e%2fsecret/stream`,
  `${base}/workflows/allowed%252F..%252Fsecret/stream`,
  `${base}/workflows/allowed%5C..%5Csecret/stream`,
  `${base}/workflows/allowed\\..\\secret/stream`,
  `${base}/workflows/allowed/stream/../../secret/stream`,
  `${base}/workflows/./secret/stream`,
  `${base}/workflows/..%2Fworkflows%2Fsecret/stream`,
  `${base}/workflows/%2e%2e/stream`,
  `${base}/workflows/../workflows/secret/stream`,
  `${base}/workflows//secret/stream`,
  `${base}/workflows/secret%2Fallowed/stream`,
  `${base}/workflows/secret/stream?id=allowed`,
  `${base}/workflows/secret/stream#/workflows/allowed/stream`,
  `${base}/workflows/secret;allowed/stream`,
  `${base}/workflows/secret%00/stream`,
  `${base}/workflows/allowed%00secret/stream`,
  `${base}/workflows/secret%0a/stream`,
  `${base}/workflows/secret%20/stream`,
  `${base}/workflows/%73ecret/stream`,
  `${base}/workflows/%D1%95ecret/stream`,
  `${base}/workflows/Allowed/stream`,
  `${base}/workflows/ALLOWED/stream`,
  `${base}/workflows/allowed./stream`,
  `${base}/workflows/allowed:x/stream`,
  `${base}/workflows/allowed%3Ax/stream`,
  `${base}/agents/allowed/stream`,
  `${base}/tasks/allowed/stream`,
  `${base}/Workflows/allowed/stream`,
  `${base}/workflows/allowed/Stream`,
  `${base}/workflows/${'a'.repeat(129)}/stream`,
  `${base}/workflows/${'%61'.repeat(200)}/stream`,
  `${base}/workflows/${'a'.repeat(8000)}/stream`,
  `${base}/workflows/%zz/stream`,
  `${base}/workflows/%/stream`,
  `/api/v0/../api/v0/executions/workflows/secret/stream`,
  `/API/v0/executions/workflows/secret/stream`,
  `//api/v0/executions/workflows/secret/stream`,
  `http://evil.example${base}/workflows/secret/stream`,
  `http://127.0.0.1${base}/workflows/allowed/../secret/stream`,
]

/** Each trick with a readable name for its test. */
const CASES = TRICKS.map((target) => [
  target.length > 100 ? `${target.slice(0, 60)}… (${target.length} characters)` : target,
  target,
])

/** What a trick may get: a refusal or a 404, never a stream; 200 only for the allowed stream. */
function expectContained(status: number, body: string): void {
  expect(body).not.toContain(SECRET_MARK)
  expect([400, 403, 404]).toContain(status)
}

describe('authorize keeps a client to its stream', () => {
  it('serves the allowed stream (the control: this test can fail)', async () => {
    const answer = await rawGet(
      runstream.url,
      `${base}/workflows/allowed/stream`,
      {},
      {
        done: (raw) => raw.includes('allowed-payload'),
      },
    )
    expect(answer.status).toBe(200)
    expect(answer.raw).toContain('allowed-payload')
  })

  it.each(CASES)('Node handler: %s reaches no other stream', async (_, target) => {
    const answer = await rawGet(runstream.url, target, {}, { timeoutMs: 1000 })
    expectContained(answer.status, answer.raw)
  })

  it.each(CASES.filter(([, target]) => target?.startsWith('/')))(
    'Fetch handler: %s reaches no other stream',
    async (_, target) => {
      const manager = createStreamManager({ catalog: executionCatalog })
      fill(manager)
      const handler = createFetchHandler(manager, { authorize, onError: () => undefined })
      let request: Request
      try {
        request = new Request(`http://127.0.0.1${target}`)
      } catch {
        return // Not even a URL a Fetch runtime would hand over.
      }
      const response = await handler(request)
      // A stream never ends by itself: a 200 is a failure, whatever its body says.
      if (response.status === 200) await response.body?.cancel()
      expectContained(response.status, response.status === 200 ? '' : await response.text())
      handler.close()
    },
  )

  it('asks authorize about exactly the stream it then serves, and never about a dot-segment path', async () => {
    asked.length = 0
    const dotted = await rawGet(runstream.url, `${base}/workflows/allowed/%2e%2e/secret/stream`)
    expect(dotted.status).toBe(400)
    await rawGet(runstream.url, `${base}/workflows/secret/stream`)
    await rawGet(runstream.url, `${base}/agents/allowed/stream`)
    expect(asked).toEqual(['workflow:secret', 'agent:allowed'])
  })

  it('answers the same 403 whether the stream exists or not, so streams cannot be probed', async () => {
    const existing = await rawGet(runstream.url, `${base}/workflows/secret/stream`)
    const missing = await rawGet(runstream.url, `${base}/workflows/nothing-here/stream`)
    expect([existing.status, missing.status]).toEqual([403, 403])
    const bodyOf = (raw: string) =>
      JSON.parse(raw.slice(raw.indexOf('{')).replace(/\r\n0\r\n\r\n$/, ''))
    expect(bodyOf(existing.raw).error.code).toBe(bodyOf(missing.raw).error.code)
  })

  it('decides before the cursor is read: a refused client learns nothing from a 204 or a 400', async () => {
    const atEnd = await rawGet(runstream.url, `${base}/workflows/secret/stream`, {
      'Last-Event-ID': '2',
    })
    const invalid = await rawGet(runstream.url, `${base}/workflows/secret/stream?lastEventId=x`)
    expect([atEnd.status, invalid.status]).toEqual([403, 403])
  })
})
