/**
 * The POST recipe of docs/server.md ("Custom routes") and the client of docs/client.md ("Start
 * with POST, resume with GET"), run as the pages write them: their code blocks are taken from the
 * pages, as they are, into modules served with @hono/node-server, with only what the reader brings
 * around them (the app, the manager, their `startRun`) and the client's URL pointed at the test
 * server. The server drops every connection twice; the client gets every event once.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { serve } from '@hono/node-server'
import { afterEach, expect, it } from 'vitest'
import type { StreamSubscription } from '../../src/client.js'
import type { StreamManager } from '../../src/index.js'
import { waitFor } from '../helpers/http.js'
import { extractBlocks } from './samples.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const scratch = join(root, '.scratch/post-recipe')
const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** The one ```ts block of `page` whose code contains `marker`, as the page writes it. */
function blockOf(page: string, marker: string): string {
  const blocks = extractBlocks(readFileSync(join(root, page), 'utf8')).filter((block) =>
    block.code.includes(marker),
  )
  expect(blocks, `${page}: one block with ${marker}`).toHaveLength(1)
  return blocks[0]?.code ?? ''
}

interface ServerModule {
  app: { fetch: (request: Request) => Response | Promise<Response> }
  manager: StreamManager
  control: { startRun(input: unknown): Promise<string> }
}

it('the POST recipe of server.md and client.md, followed literally, survives two server-side drops', async () => {
  const recipe = blockOf('docs/server.md', "app.post('/runs'")
  const client = blockOf('docs/client.md', "method: 'POST'")
  mkdirSync(scratch, { recursive: true })
  const serverFile = join(scratch, 'server.ts')
  writeFileSync(
    serverFile,
    [
      "import { Hono } from 'hono'",
      "import { createStreamManager, executionCatalog } from 'runstream'",
      "import { createFetchHandler, createSseResponse } from 'runstream/server'",
      'export const app = new Hono()',
      'export const manager = createStreamManager({ catalog: executionCatalog })',
      '// The reader’s own startRun: the test plays it.',
      'export const control = { startRun: async (_input: unknown): Promise<string> => "" }',
      'const startRun = (input: unknown) => control.startRun(input)',
      recipe,
      'void createFetchHandler',
    ].join('\n'),
  )
  const clientFile = join(scratch, 'client.ts')
  writeFileSync(
    clientFile,
    [
      "import { executionCatalog } from 'runstream'",
      "import { connect } from 'runstream/client'",
      'export function open(origin: string) {',
      // The page's URL, pointed at the test server.
      client.replace("'https://api.example.com/runs'", 'origin + "/runs"'),
      '  return sub',
      '}',
    ].join('\n'),
  )
  const server = (await import(pathToFileURL(serverFile).href)) as ServerModule
  const { open } = (await import(pathToFileURL(clientFile).href)) as {
    open(origin: string): StreamSubscription
  }
  cleanups.push(() => server.manager.close())

  // The reader's run: 30 events in three parts, each waiting for the test to let it go on.
  const gates = [deferred(), deferred()]
  const inputs: unknown[] = []
  server.control.startRun = async (input) => {
    inputs.push(input)
    const stream = server.manager.stream('run:7')
    void (async () => {
      for (let n = 1; n <= 30; n++) {
        stream.emit('llm_chunk', { text: `t${n}` })
        if (n === 10) await gates[0]?.promise
        if (n === 20) await gates[1]?.promise
      }
      stream.emit('complete', { status: 'SUCCESS' })
    })()
    return '7'
  }

  const requests: string[] = []
  const sockets = new Set<Socket>()
  const http = serve({
    fetch: (request: Request) => {
      requests.push(`${request.method} ${new URL(request.url).pathname}`)
      return server.app.fetch(request)
    },
    port: 0,
    hostname: '127.0.0.1',
  }) as Server
  http.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        http.close(() => resolve())
      }),
  )
  await new Promise<void>((resolve) => http.once('listening', resolve))
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`

  const sub = open(origin)
  cleanups.push(() => sub.close())
  const events: { id: string; type: string }[] = []
  const done = (async () => {
    for await (const event of sub) events.push(event)
  })()
  for (const [drop, pending] of gates.entries()) {
    await waitFor(() => events.length >= 10 * (drop + 1), 10_000, `${10 * (drop + 1)} events`)
    for (const socket of sockets) socket.destroy()
    await waitFor(() => requests.length >= drop + 2, 10_000, `reconnect ${drop + 1}`)
    pending.open()
  }
  await done

  expect(events.map((event) => Number(event.id))).toEqual(
    Array.from({ length: 31 }, (_, i) => i + 1),
  )
  expect(events.at(-1)?.type).toBe('complete')
  expect(requests).toEqual(['POST /runs', 'GET /runs/7/events', 'GET /runs/7/events'])
  expect(inputs).toEqual([{ prompt: 'Plan a trip' }])
}, 30_000)

function deferred(): { promise: Promise<void>; open(): void } {
  let open: () => void = () => {}
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}
