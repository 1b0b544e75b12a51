import { readFileSync } from 'node:fs'
import { afterEach, expect, it } from 'vitest'
import { webhookTransport } from '../../examples/custom-transport/webhook-transport.js'
import { createStreamManager, executionCatalog, type RunstreamError } from '../../src/index.js'
import { transportContract } from '../contract/transport.js'
import { startServer, type TestServer, waitFor } from '../helpers/http.js'

/** A collector that receives the webhook's batches and splits them into lines. */
async function collector(status = 200) {
  const lines: string[] = []
  const server = await startServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      body += chunk
    })
    req.on('end', () => {
      if (status === 200) lines.push(...body.split('\n').filter((line) => line !== ''))
      res.writeHead(status).end()
    })
  })
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
  const errors: RunstreamError[] = []
  const manager = createStreamManager({
    catalog: executionCatalog,
    transports: [webhookTransport({ url: server.url, batchSize: 10, lingerMs: 5 })],
    onError: (error) => errors.push(error),
  })
  for (let n = 0; n < 25; n++) manager.stream('workflow:w').emit('llm_chunk', { text: 'x' })
  await manager.flush()
  expect(errors.map((e) => e.code)).toEqual([
    'transport_failed',
    'transport_failed',
    'transport_failed',
  ])
})

it('drops past maxQueued with transport_overflow, and delivers the rest', async () => {
  const { server, lines } = await collector()
  open = server
  const errors: RunstreamError[] = []
  const manager = createStreamManager({
    catalog: executionCatalog,
    transports: [webhookTransport({ url: server.url, batchSize: 100, lingerMs: 50, maxQueued: 3 })],
    onError: (error) => errors.push(error),
  })
  for (let n = 0; n < 5; n++) manager.stream('workflow:w').emit('llm_chunk', { text: String(n) })
  await manager.close()
  expect(errors.map((e) => e.code)).toEqual(['transport_overflow', 'transport_overflow'])
  expect(lines.map((line) => JSON.parse(line).data.text)).toEqual(['0', '1', '2'])
})

it('docs/transports.md shows the example exactly as it is in examples/', () => {
  const source = readFileSync(
    new URL('../../examples/custom-transport/webhook-transport.ts', import.meta.url),
    'utf8',
  )
  const doc = readFileSync(new URL('../../docs/transports.md', import.meta.url), 'utf8')
  expect(doc).toContain(`\`\`\`ts\n${source}\`\`\``)
})
