import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStreamManager, executionCatalog } from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'
import { createFetchHandler } from '../../src/server.js'
import { startServer, type TestServer } from '../helpers/http.js'
import { type Runstream, startRunstream } from '../reliability/harness.js'
import { rawGet } from './raw-http.js'

// A gateway in front authorizes `/workflows/public/...` by its path; URL parsers then resolve dot
// segments and backslashes, so `/workflows/public/%2e%2e/secret/stream` would be served as
// `workflow:secret`. Sent raw (no client library cleans the path up), every such path is refused
// with a 400 before any hook or store is consulted, with and without `authorize`.

const SECRET = 'SECRET-7f3a'
const base = '/api/v0/executions'

const TRICKS: readonly string[] = [
  `${base}/workflows/public/%2e%2e/secret/stream`,
  `${base}/workflows/public/%2E%2E/secret/stream`,
  `${base}/workflows/public/%2e%2E/secret/stream`,
  `${base}/workflows/public/../secret/stream`,
  `${base}/workflows/public/.%2e/secret/stream`,
  `${base}/workflows/public/%2e./secret/stream`,
  `${base}/workflows/public/./../secret/stream`,
  `${base}/workflows/./secret/stream`,
  `${base}/workflows/%2e/secret/stream`,
  `${base}/workflows/public\\..\\secret/stream`,
  `${base}/workflows/public%5c..%5csecret/stream`,
  `${base}/workflows/public%5C..%5Csecret/stream`,
  `${base}\\workflows\\secret\\stream`,
  `${base}/workflows/secret/stream/..`,
  `${base}/workflows/public/stream/../../secret/stream`,
  `/api/v0/../api/v0/executions/workflows/secret/stream`,
  `/api/v0/%2e%2e/v0/executions/workflows/secret/stream`,
  `/api/%2e%2e/api/v0/executions/workflows/secret/stream?x=1`,
]

function fill(manager: Runstream['manager']): void {
  manager.stream('workflow:public').emit('llm_chunk', { text: 'public-text' })
  manager.stream('workflow:secret').emit('llm_chunk', { text: SECRET })
}

/** The status and error code of a raw answer, and whether the secret leaked. */
async function ask(url: string, target: string) {
  const answer = await rawGet(url, target, {}, { timeoutMs: 2000 })
  const json = answer.raw.slice(answer.raw.indexOf('\r\n\r\n') + 4)
  const code = /"code":"([a-z_]+)"/.exec(json)?.[1]
  return { status: answer.status, code, leaked: answer.raw.includes(SECRET) }
}

describe.each([
  ['without authorize', {}],
  ['with authorize', { authorize: () => true }],
])('the Node handler refuses dot segments and backslashes %s', (_, options) => {
  let runstream: Runstream
  const asked: string[] = []
  beforeAll(async () => {
    runstream = await startRunstream({
      ...options,
      ...('authorize' in options
        ? {
            authorize: (_request: Request, stream: string) => {
              asked.push(stream)
              return true
            },
          }
        : {}),
      heartbeatMs: 60_000,
    })
    fill(runstream.manager)
  })
  afterAll(() => runstream.close())

  it('serves the public stream by its own path (the control: this test can fail)', async () => {
    const answer = await rawGet(
      runstream.url,
      `${base}/workflows/public/stream`,
      {},
      { done: (raw) => raw.includes('public-text') },
    )
    expect(answer.status).toBe(200)
  })

  it.each(TRICKS)('%s is a 400 invalid_path', async (target) => {
    asked.length = 0
    expect(await ask(runstream.url, target)).toEqual({
      status: 400,
      code: 'invalid_path',
      leaked: false,
    })
    // Refused before any hook: authorize never saw the stream the path resolves to.
    expect(asked).toEqual([])
  })

  it('leaves a path outside the routes to the app: a 404, not a 400', async () => {
    expect(await ask(runstream.url, '/static/../index.html')).toMatchObject({
      status: 404,
      code: 'not_found',
    })
  })
})

describe('inside an app', () => {
  let server: TestServer
  beforeAll(async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    fill(manager)
    const app = express()
    app.use(createNodeHandler(manager, { heartbeatMs: 60_000 }))
    app.use((_req, res) => {
      res.status(418).send('the app')
    })
    server = await startServer(app)
  })
  afterAll(() => server.close())

  it('refuses a dot segment under the routes, and passes other paths to next()', async () => {
    expect(await ask(server.url, `${base}/workflows/public/%2e%2e/secret/stream`)).toEqual({
      status: 400,
      code: 'invalid_path',
      leaked: false,
    })
    expect((await rawGet(server.url, '/assets/../robots.txt')).status).toBe(418)
  })
})

describe('the Fetch handler', () => {
  it('refuses a dot segment when the runtime hands the URL over as written', async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    fill(manager)
    const handler = createFetchHandler(manager)
    // Runtimes parse the URL before a Request exists, resolving dot segments (Node's adapters,
    // Bun, Deno, workerd all do); an adapter that passes it through as written is refused.
    const asWritten = {
      url: `http://localhost${base}/workflows/public/%2e%2e/secret/stream`,
      method: 'GET',
      headers: new Headers(),
      signal: new AbortController().signal,
    } as Request
    const response = await handler(asWritten)
    expect(response.status).toBe(400)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_path')
  })

  it('refuses a basePath with a dot segment or a backslash at creation', () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    expect(() => createFetchHandler(manager, { basePath: '/api/../v0' })).toThrow(TypeError)
    expect(() => createNodeHandler(manager, { basePath: '/api\\v0' })).toThrow(/dot segments/)
  })
})
