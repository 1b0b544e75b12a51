import { readFileSync } from 'node:fs'
import { Validator } from '@seriousme/openapi-schema-validator'
import Ajv2020 from 'ajv/dist/2020.js'
import { afterEach, describe, expect, it } from 'vitest'
import { AG_UI_MOUNT } from '../../scripts/docs/openapi-ag-ui.js'
import { CHAT_API } from '../../scripts/docs/openapi-ai-sdk.js'
import { agentServer, textEvents } from '../ag-ui/helpers.js'
import { chatServer } from '../ai-sdk/helpers.js'

// The AG-UI and AI SDK documents against the handlers they describe: the routes tables of the
// code, and a real handler on port 0 asked every documented operation.

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, { $ref?: string }> }>>
  components: { responses: Record<string, Response>; schemas: Record<string, unknown> }
}
type Response = { content?: Record<string, { examples?: Record<string, unknown> }> }

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')
const load = (path: string) => JSON.parse(read(path)) as Doc

const HANDLERS = [
  {
    doc: 'docs/openapi-ag-ui.json',
    source: 'src/ag-ui/routes.ts',
    variable: '{mount}',
    mount: AG_UI_MOUNT,
  },
  {
    doc: 'docs/openapi-ai-sdk.json',
    source: 'src/ai-sdk/routes.ts',
    variable: '{api}',
    mount: CHAT_API,
  },
] as const

/** `METHOD path` of every operation of a document, the mount written as the routes table has it. */
function operations(doc: Doc, mount: string, variable: string): string[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map(
      (method) => `${method.toUpperCase()} ${variable}${path.slice(mount.length)}`,
    ),
  )
}

/** The rows of the routes table in a module's TSDoc: `| \`{mount}/…\` | \`GET\`: … |`. */
function routesTable(source: string): string[] {
  return [...read(source).matchAll(/^\s*\* \| `([^`]+)` \| `(GET|POST)`/gm)].map(
    ([, path, method]) => `${method} ${path}`,
  )
}

describe('the OpenAPI documents of the protocol handlers', () => {
  it.each(HANDLERS.map((h) => [h.doc]))('%s is a valid OpenAPI 3.1 document', async (path) => {
    const result = await new Validator().validate(load(path))
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
  })

  it.each(HANDLERS.map((h) => [h.doc, h]))(
    '%s lists exactly the routes of the handler’s routes table',
    (_, { doc, source, variable, mount }) => {
      const table = routesTable(source)
      expect(table.length).toBeGreaterThanOrEqual(3)
      expect(operations(load(doc), mount, variable).sort()).toEqual(table.sort())
    },
  )

  it.each(HANDLERS.map((h) => [h.doc]))('every $ref of %s resolves', (path) => {
    const doc = load(path)
    const refs = [...read(path).matchAll(/"\$ref": "#\/([^"]+)"/g)].map(([, ref]) => ref ?? '')
    expect(refs.length).toBeGreaterThan(10)
    for (const ref of new Set(refs)) {
      const target = ref
        .split('/')
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc)
      expect(target, ref).toBeDefined()
    }
  })
})

/** One request to a real handler, checked against the operation the document has for it. */
interface Exchange {
  readonly method: 'GET' | 'POST'
  readonly path: string
  readonly body?: unknown
  readonly headers?: Record<string, string>
}

/**
 * Sends `exchange` and checks the answer against `doc`: the path matches a documented path with
 * that method, the status is one of the operation's responses, and an error's `code` is one of
 * that response's examples. Returns the operation's key and the response.
 */
async function exchange(origin: string, doc: Doc, request: Exchange) {
  const url = new URL(request.path, origin)
  const template = Object.keys(doc.paths).find((path) =>
    new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(url.pathname),
  )
  expect(template, `${request.method} ${url.pathname} is documented`).toBeDefined()
  const operation = doc.paths[template ?? '']?.[request.method.toLowerCase()]
  expect(operation, `${request.method} ${template} is documented`).toBeDefined()
  const response = await fetch(url, {
    method: request.method,
    headers: {
      ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...request.headers,
    },
    ...(request.body === undefined
      ? {}
      : { body: typeof request.body === 'string' ? request.body : JSON.stringify(request.body) }),
  })
  const text = await response.text()
  const status = String(response.status)
  const documented = operation?.responses[status]
  expect(documented, `${request.method} ${url.pathname} answered ${status}: ${text}`).toBeDefined()
  if (response.status >= 400) {
    const name = documented?.$ref?.split('/').pop() ?? ''
    const examples = doc.components.responses[name]?.content?.['application/json']?.examples ?? {}
    const { error } = JSON.parse(text) as { error: { code: string } }
    expect(Object.keys(examples), `${status} ${error.code}`).toContain(error.code)
  }
  return { key: `${request.method} ${template}`, response, text }
}

/** The parsed `data:` of every event frame of an SSE body (control and `[DONE]` frames aside). */
function eventData(text: string): unknown[] {
  return text
    .split('\n\n')
    .filter((frame) => /^event: (?!runstream\.)/m.test(frame))
    .map((frame) => JSON.parse(/^data: (.*)$/m.exec(frame)?.[1] ?? 'null'))
}

/** A validator of `#/components/schemas/<name>` of `doc`. */
function schemaOf(doc: Doc, name: string) {
  const ajv = new Ajv2020({ strict: false })
  ajv.addSchema(doc, 'doc')
  const validate = ajv.getSchema(`doc#/components/schemas/${name}`)
  if (validate === undefined) throw new Error(`no schema ${name}`)
  return validate
}

describe('a real handler answers every documented operation as documented', () => {
  const cleanups: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup()
  })

  it('AG-UI: start, resume, attach and cancel, and the errors they document', async () => {
    const doc = load('docs/openapi-ag-ui.json')
    const served = await agentServer(async function* () {
      yield* textEvents('a1', ['Hel', 'lo'])
    })
    cleanups.push(() => served.close())
    const origin = served.server.url
    const body = exampleBody(doc, AG_UI_MOUNT)
    const seen = new Set<string>()
    const ask = async (request: Exchange) => {
      const answer = await exchange(origin, doc, request)
      seen.add(answer.key)
      return answer
    }

    const started = await ask({ method: 'POST', path: AG_UI_MOUNT, body })
    expect(started.response.status).toBe(200)
    expect(started.response.headers.get('location')).toBe(`${AG_UI_MOUNT}/runs/run-1/stream`)
    const isEvent = schemaOf(doc, 'AgUiEvent')
    const events = eventData(started.text)
    expect(events.map((e) => (e as { type: string }).type)).toEqual([
      'RUN_STARTED',
      'TEXT_MESSAGE_START',
      'TEXT_MESSAGE_CONTENT',
      'TEXT_MESSAGE_CONTENT',
      'TEXT_MESSAGE_END',
      'RUN_FINISHED',
    ])
    for (const event of events) expect(isEvent(event), JSON.stringify(isEvent.errors)).toBe(true)
    expect(isEvent({ type: 'TEXT_MESSAGE_CONTENT', messageId: 'a1', delta: 42 })).toBe(false)

    const resumed = await ask({ method: 'GET', path: `${AG_UI_MOUNT}/runs/run-1/stream` })
    expect(eventData(resumed.text)).toEqual(events)
    expect(
      (await ask({ method: 'GET', path: `${AG_UI_MOUNT}/threads/thread-1/stream` })).response
        .status,
    ).toBe(204)
    const canceled = await ask({ method: 'POST', path: `${AG_UI_MOUNT}/runs/run-1/cancel` })
    expect(schemaOf(doc, 'CancelAnswer')(JSON.parse(canceled.text))).toBe(true)
    await ask({ method: 'POST', path: `${AG_UI_MOUNT}/threads/thread-1/cancel` })
    expect([...seen].sort()).toEqual(operations(doc, '', '').sort())

    // Errors: each status and code must be one the operation documents.
    await ask({ method: 'POST', path: AG_UI_MOUNT, body: { threadId: 't' } })
    await ask({ method: 'POST', path: AG_UI_MOUNT, body: '{' })
    await ask({ method: 'POST', path: AG_UI_MOUNT, body })
    await ask({
      method: 'GET',
      path: `${AG_UI_MOUNT}/runs/run-1/stream`,
      headers: { 'last-event-id': 'x' },
    })
    await ask({ method: 'GET', path: `${AG_UI_MOUNT}/runs/run-1/stream?events=NOPE` })
    await ask({ method: 'POST', path: `${AG_UI_MOUNT}/runs/nope/cancel` })
    await ask({ method: 'POST', path: `${AG_UI_MOUNT}/threads/nope/cancel` })
    await ask({ method: 'POST', path: `${AG_UI_MOUNT}/runs/..x/cancel` })
  })

  it('AI SDK: send, resume, reattach and stop, and the errors they document', async () => {
    const doc = load('docs/openapi-ai-sdk.json')
    const served = await chatServer(async function* () {
      yield { type: 'start' }
      yield { type: 'text-start', id: 't1' }
      yield { type: 'text-delta', id: 't1', delta: 'Hi' }
      yield { type: 'text-end', id: 't1' }
      yield { type: 'finish' }
    })
    cleanups.push(() => served.close())
    const origin = new URL(served.api).origin
    const body = exampleBody(doc, CHAT_API)
    const seen = new Set<string>()
    const ask = async (request: Exchange) => {
      const answer = await exchange(origin, doc, request)
      seen.add(answer.key)
      return answer
    }

    const sent = await ask({ method: 'POST', path: CHAT_API, body })
    expect(sent.response.status).toBe(200)
    expect(sent.text.endsWith('data: [DONE]\n\n')).toBe(true)
    const location = sent.response.headers.get('location') ?? ''
    expect(location).toMatch(new RegExp(`^${CHAT_API}/chat-1/stream\\?runId=`))
    const isChunk = schemaOf(doc, 'UiMessageChunk')
    const chunks = eventData(sent.text)
    expect(chunks).toHaveLength(5)
    for (const chunk of chunks) expect(isChunk(chunk), JSON.stringify(isChunk.errors)).toBe(true)
    expect(isChunk({ type: 'text-delta', id: 't1' })).toBe(false)

    const resumed = await ask({ method: 'GET', path: location })
    expect(eventData(resumed.text)).toEqual(chunks)
    expect((await ask({ method: 'GET', path: `${CHAT_API}/chat-1/stream` })).response.status).toBe(
      204,
    )
    const stopped = await ask({ method: 'POST', path: `${CHAT_API}/chat-1/cancel` })
    expect(schemaOf(doc, 'CancelAnswer')(JSON.parse(stopped.text))).toBe(true)
    expect([...seen].sort()).toEqual(operations(doc, '', '').sort())

    await ask({ method: 'POST', path: CHAT_API, body: { id: '', messages: [] } })
    await ask({ method: 'POST', path: CHAT_API, body: '[' })
    await ask({ method: 'GET', path: `${location}&events=nope` })
    await ask({ method: 'GET', path: `${CHAT_API}/chat-1/stream?runId=..` })
    await ask({ method: 'GET', path: location, headers: { 'last-event-id': 'x' } })
    await ask({ method: 'POST', path: `${CHAT_API}/nope/cancel` })
    await ask({ method: 'POST', path: `${CHAT_API}/%00/cancel` })
  })
})

/** The example request body the document gives the POST of `path`. */
function exampleBody(doc: Doc, path: string): unknown {
  const post = doc.paths[path]?.post as
    | { requestBody?: { content: Record<string, { example?: unknown }> } }
    | undefined
  const example = post?.requestBody?.content['application/json']?.example
  expect(example, `POST ${path} has an example body`).toBeDefined()
  return example
}
