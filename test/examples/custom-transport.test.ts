import { readFileSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { afterEach, expect, it } from 'vitest'
import { webhookTransport } from '../../examples/custom-transport/webhook-transport.js'
import { createStreamManager, executionCatalog, type RunstreamError } from '../../src/index.js'
import { transportContract } from '../contract/transport.js'
import { startServer, type TestServer, waitFor } from '../helpers/http.js'

/** Reads a request's body, a batch of JSON lines, and hands on its lines. */
function readLines(req: IncomingMessage, then: (lines: string[]) => void): void {
  let body = ''
  req.setEncoding('utf8')
  req.on('data', (chunk: string) => {
    body += chunk
  })
  req.on('end', () => then(body.split('\n').filter((line) => line !== '')))
}

/** A manager whose one transport is the webhook, with `options`, collecting its errors. */
function webhookManager(options: Parameters<typeof webhookTransport>[0]) {
  const errors: RunstreamError[] = []
  const manager = createStreamManager({
    catalog: executionCatalog,
    transports: [webhookTransport(options)],
    onError: (error) => errors.push(error),
  })
  return { manager, errors }
}

/** A collector that receives the webhook's batches and splits them into lines. */
async function collector(status = 200) {
  const lines: string[] = []
  const server = await startServer((req, res) =>
    readLines(req, (batch) => {
      if (status === 200) lines.push(...batch)
      res.writeHead(status).end()
    }),
  )
  return { server, lines }
}

transportContract('webhook (examples/custom-transport)', async () => {
  const { server, lines } = await collector()
  return {
    transport: webhookTransport({ url: `${server.url}/ingest`, batchSize: 64, lingerMs: 5 }),
    async received(count) {
      await waitFor(() => lines.length >= count, 10_000, `${count} lines`)
      return lines.slice(0, count)
    },
    close: () => server.close(),
  }
})

let open: TestServer | undefined
afterEach(() => open?.close())

it('reports a failed request once per batch through onError, as transport_failed', async () => {
  const { server } = await collector(500)
  open = server
  const { manager, errors } = webhookManager({ url: server.url, batchSize: 10, lingerMs: 5 })
  for (let n = 0; n < 25; n++) manager.stream('workflow:w').emit('llm_chunk', { text: 'x' })
  await manager.flush()
  expect(errors.map((e) => e.code)).toEqual([
    'transport_failed',
    'transport_failed',
    'transport_failed',
  ])
})

it('drops past maxQueuedEvents with transport_overflow, and delivers the rest', async () => {
  const { server, lines } = await collector()
  open = server
  const { manager, errors } = webhookManager({
    url: server.url,
    batchSize: 100,
    lingerMs: 50,
    maxQueuedEvents: 3,
  })
  for (let n = 0; n < 5; n++) manager.stream('workflow:w').emit('llm_chunk', { text: String(n) })
  await manager.close()
  expect(errors.map((e) => e.code)).toEqual(['transport_overflow', 'transport_overflow'])
  expect(lines.map((line) => JSON.parse(line).data.text)).toEqual(['0', '1', '2'])
})

/** A collector that reads each request and answers only when told to. */
async function silentCollector() {
  const held: { answer: () => void; lines: string[] }[] = []
  const server = await startServer((req, res) =>
    readLines(req, (lines) => held.push({ lines, answer: () => res.writeHead(200).end() })),
  )
  return { server, held }
}

it('counts the events of unanswered requests: a collector that never answers fills the bound', async () => {
  const { server, held } = await silentCollector()
  open = server
  const { manager, errors } = webhookManager({
    url: server.url,
    batchSize: 2,
    lingerMs: 5,
    maxQueuedEvents: 5,
  })
  const emit = (text: string) => manager.stream('workflow:w').emit('llm_chunk', { text })
  // Two full batches are posted (one request at a time), a fifth event waits for its batch:
  // five events wait, so the next three are dropped, although the batch being filled is short.
  for (let n = 0; n < 8; n++) emit(String(n))
  await waitFor(() => held.length === 1, 10_000, 'the first request')
  expect(errors.map((e) => e.code)).toEqual(Array(3).fill('transport_overflow'))
  expect(errors[0]?.message).toContain('5 events are waiting')
  expect(held[0]?.lines.map((line) => JSON.parse(line).data.text)).toEqual(['0', '1'])

  // The collector answers the first request: its two events no longer count.
  held[0]?.answer()
  await waitFor(() => held.length === 2, 10_000, 'the second request')
  emit('8')
  emit('9')
  emit('10')
  expect(errors).toHaveLength(4)
  expect(held[1]?.lines.map((line) => JSON.parse(line).data.text)).toEqual(['2', '3'])

  // Answer everything from now on; close() posts the rest and waits for it.
  let answered = 1
  const answerAll = setInterval(() => {
    while (answered < held.length) held[answered++]?.answer()
  }, 5)
  await manager.close()
  clearInterval(answerAll)
  const delivered = held.flatMap((request) => request.lines.map((l) => JSON.parse(l).data.text))
  expect(delivered).toEqual(['0', '1', '2', '3', '4', '8', '9'])
  expect(errors.map((e) => e.code)).toEqual(Array(4).fill('transport_overflow'))
})

it('aborts a request that takes longer than timeoutMs, and reports its batch once', async () => {
  const { server, held } = await silentCollector()
  open = server
  const { manager, errors } = webhookManager({ url: server.url, batchSize: 3, timeoutMs: 100 })
  for (let n = 0; n < 3; n++) manager.stream('workflow:w').emit('llm_chunk', { text: String(n) })
  await manager.flush()
  expect(held).toHaveLength(1)
  expect(errors.map((e) => e.code)).toEqual(['transport_failed'])
  // The lost batch no longer counts against the bound: later events are sent.
  manager.stream('workflow:w').emit('llm_chunk', { text: 'next' })
  await waitFor(() => held.length === 2, 10_000, 'the next request')
  held[1]?.answer()
  await manager.close()
  expect(errors).toHaveLength(1)
})

it('refuses bad options at once, with the fix in the message', () => {
  const url = 'http://127.0.0.1:1/'
  expect(() => webhookTransport({ url, maxQueuedEvents: 0 })).toThrow(
    /maxQueuedEvents must be a whole number above 0, not 0/,
  )
  expect(() => webhookTransport({ url, batchSize: 2.5 })).toThrow(TypeError)
  expect(() => webhookTransport({ url, timeoutMs: -1 })).toThrow(/timeoutMs/)
  expect(() => webhookTransport({ url, lingerMs: Number.NaN })).toThrow(/lingerMs/)
})

it('docs/transports.md shows the example exactly as it is in examples/', () => {
  const source = readFileSync(
    new URL('../../examples/custom-transport/webhook-transport.ts', import.meta.url),
    'utf8',
  )
  const doc = readFileSync(new URL('../../docs/transports.md', import.meta.url), 'utf8')
  expect(doc).toContain(`\`\`\`ts\n${source}\`\`\``)
})
