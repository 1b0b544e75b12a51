import { spawn } from 'node:child_process'
import { EventSource } from 'eventsource'
import { afterEach, describe, expect, it } from 'vitest'
import { createNodeHandler } from '../../src/node.js'
import { startServer, waitFor } from '../helpers/http.js'
import { testManager } from '../helpers/server.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A node handler on a real server, recording the Last-Event-ID of every request. */
async function serveRecording() {
  const { manager } = testManager()
  const handler = createNodeHandler(manager, { retryMs: 50 })
  const cursors: (string | undefined)[] = []
  const server = await startServer((req, res) => {
    cursors.push(req.headers['last-event-id'] as string | undefined)
    void handler(req, res)
  })
  cleanups.push(() => server.close())
  return { manager, handler, server, cursors }
}

describe('interop with the eventsource package (WHATWG EventSource)', () => {
  it('receives the events and resumes by itself with Last-Event-ID after the server drops it', async () => {
    const { manager, server, cursors } = await serveRecording()
    const producer = manager.stream('agent:es')
    const source = new EventSource(`${server.url}/api/v0/executions/agents/es/stream`)
    cleanups.push(() => source.close())
    const received: { id: string; type: string; text: string }[] = []
    const record = (event: MessageEvent<string>) => {
      // Payload framing: data is the payload alone, as EventSource users expect.
      const payload = JSON.parse(event.data)
      received.push({ id: event.lastEventId, type: event.type, text: payload.text ?? '' })
    }
    source.addEventListener('llm_chunk', record)
    source.addEventListener('complete', record)
    await new Promise((resolve) => source.addEventListener('open', resolve, { once: true }))

    for (let i = 1; i <= 5; i++) producer.emit('llm_chunk', { text: `t${i}` })
    await waitFor(() => received.length === 5, 5000, 'the first five events')
    server.dropConnections()
    // Emitted while the client is away: it must get them from the store.
    for (let i = 6; i <= 10; i++) producer.emit('llm_chunk', { text: `t${i}` })
    await waitFor(() => received.length === 10, 5000, 'the events emitted while away')
    producer.emit('complete', { status: 'SUCCESS' })
    await waitFor(() => received.length === 11, 5000, 'the terminal event')

    expect(received.map((e) => e.id)).toEqual(Array.from({ length: 11 }, (_, i) => String(i + 1)))
    expect(received.slice(0, 10).map((e) => e.text)).toEqual(
      Array.from({ length: 10 }, (_, i) => `t${i + 1}`),
    )
    expect(cursors.slice(0, 2)).toEqual([undefined, '5'])
    // After the terminal event the stream ends; the reconnect at its end gets 204 and stops.
    await waitFor(() => source.readyState === EventSource.CLOSED, 5000, 'EventSource to stop')
    expect(cursors.at(-1)).toBe('11')
  })

  it('receives the gap control event as a named event without moving lastEventId', async () => {
    const { manager, server } = await serveRecording()
    const producer = manager.stream('agent:gap')
    producer.emit('llm_chunk', { text: 'only' })
    const source = new EventSource(
      `${server.url}/api/v0/executions/agents/gap/stream?lastEventId=9`,
    )
    cleanups.push(() => source.close())
    const gaps: string[] = []
    const ids: string[] = []
    source.addEventListener('runstream.gap', (event) => gaps.push(event.lastEventId))
    source.addEventListener('llm_chunk', (event) => ids.push(event.lastEventId))
    await waitFor(() => ids.length === 1, 5000, 'the event after the gap')
    expect(gaps).toEqual([''])
    expect(ids).toEqual(['1'])
  })
})

describe('interop with curl -N', () => {
  it('receives the events as they are emitted and ends at the terminal event', async () => {
    const { manager, server } = await serveRecording()
    const url = `${server.url}/api/v0/executions/tasks/curl/stream`
    const curl = spawn('curl', ['-sN', url])
    cleanups.push(() => curl.kill())
    let output = ''
    curl.stdout.setEncoding('utf8')
    curl.stdout.on('data', (chunk: string) => {
      output += chunk
    })
    const exited = new Promise<number | null>((resolve) => curl.once('exit', resolve))
    await waitFor(() => output.includes(': ok'), 5000, 'curl to see the stream open')
    const producer = manager.stream('task:curl')
    producer.emit('llm_chunk', { text: 'streamed' })
    // -N: curl prints each event as it comes, before the stream ends.
    await waitFor(() => output.includes('"streamed"'), 5000, 'curl to print the live event')
    producer.emit('complete', { status: 'SUCCESS' })
    expect(await exited).toBe(0)
    const { events, epoch } = await manager.store.read('task:curl')
    expect(output).toBe(
      `retry: 50\n: ok\n\nid: ${epoch}.0\n\n${events
        .map(
          (r) =>
            `id: ${r.envelope.id}\nevent: ${r.envelope.type}\ndata: ${JSON.stringify(r.envelope.data)}\n\n`,
        )
        .join('')}`,
    )
  })

  it('prints the text mode of an agent as plain text', async () => {
    const { manager, server } = await serveRecording()
    const producer = manager.stream('agent:txt')
    producer.emit('llm_chunk', { text: 'Hello, ' })
    producer.emit('llm_chunk', { text: 'world.\n' })
    producer.emit('complete', { status: 'SUCCESS' })
    const curl = spawn('curl', [
      '-sN',
      `${server.url}/api/v0/executions/agents/txt/stream?format=text`,
    ])
    cleanups.push(() => curl.kill())
    let output = ''
    curl.stdout.setEncoding('utf8')
    curl.stdout.on('data', (chunk: string) => {
      output += chunk
    })
    expect(await new Promise((resolve) => curl.once('exit', resolve))).toBe(0)
    expect(output).toBe('Hello, world.\n')
  })
})
