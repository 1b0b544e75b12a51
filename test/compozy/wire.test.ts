/**
 * compozy's wire in both directions, on exact bytes (issue 14's payload framing): runstream's
 * client reads compozy's recorded streams, and runstream's server writes frames compozy's reader
 * takes unchanged.
 */
import type { ServerResponse } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { connect } from '../../src/client.js'
import { compozyCatalog, createStreamManager, type RunstreamError } from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'
import { get, startServer } from '../helpers/http.js'
import { readAsCompozy } from './compozy-reader.js'
import { GO_SSE_HEADERS, goEvent } from './go-sse.js'
import { events, RECORDINGS, type Recording, render } from './recordings.js'

const suite = describe

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** The payload a frame carries: `llm_chunk` is raw text, every other event JSON. */
const payload = (event: string, data: string): unknown =>
  event === 'llm_chunk' ? data : JSON.parse(data)

/**
 * Serves a recording as compozy's Go handler did: its headers, then its bytes, cut into 5-byte
 * writes (so UTF-8 characters and lines are split across chunks), then the end of the response.
 */
async function serveRecording(recording: Recording) {
  const bytes = Buffer.from(render(recording), 'utf8')
  const server = await startServer((req, res: ServerResponse) => {
    if (req.url !== recording.path) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, GO_SSE_HEADERS)
    for (let i = 0; i < bytes.length; i += 5) res.write(bytes.subarray(i, i + 5))
    res.end()
  })
  cleanups.push(() => server.close())
  return `${server.url}${recording.path}`
}

/** runstream's Node handler in payload framing, with a recording's events already emitted. */
async function serveWithRunstream(recording: Recording) {
  const manager = createStreamManager({ catalog: compozyCatalog })
  const stream = manager.stream(recording.stream)
  for (const frame of events(recording)) {
    // biome-ignore lint/suspicious/noExplicitAny: the frames are checked against the catalog in catalog.test.ts
    stream.emit(frame.event as any, payload(frame.event, frame.data) as any)
  }
  const handler = createNodeHandler(manager, {
    framing: 'payload',
    heartbeatMs: 60_000,
  } as Parameters<typeof createNodeHandler>[1])
  const server = await startServer((req, res) => void handler(req, res))
  cleanups.push(() => server.close())
  return `${server.url}${recording.path}`
}

/**
 * The event frames of an SSE body: runstream's opening (`retry:`, `: ok`), pings and epoch frame
 * (an `id:` line alone, which dispatches no event: compozy's clients read past it, as the next
 * test shows) removed.
 */
const eventFrames = (text: string) =>
  text
    .split(/(?<=\n\n)/)
    .filter(
      (frame) =>
        !frame.startsWith('retry:') && !frame.startsWith(':') && !/^id: [^\n]*\n\n$/.test(frame),
    )

suite('runstream/client reads compozy streams', () => {
  for (const recording of RECORDINGS) {
    it(`consumes the recorded ${recording.name} stream with no event dropped and every text unchanged`, async () => {
      const url = await serveRecording(recording)
      const errors: RunstreamError[] = []
      const subscription = connect(url, {
        catalog: compozyCatalog,
        reconnect: false,
        onError: (error) => errors.push(error),
      })
      const received: { id: string; type: string; data: unknown }[] = []
      for await (const event of subscription) {
        received.push({ id: event.id, type: event.type, data: event.data })
      }
      expect(errors.map((error) => `${error.code}: ${error.message}`)).toEqual([])
      expect(received).toEqual(
        events(recording).map((frame) => ({
          id: String(frame.id),
          type: frame.event,
          data: payload(frame.event, frame.data),
        })),
      )
    })
  }
})

suite('runstream/server in payload framing writes what compozy clients read', () => {
  for (const recording of RECORDINGS) {
    it(`writes the ${recording.name} events in compozy's frames, byte for byte`, async () => {
      const url = await serveWithRunstream(recording)
      const response = await get(url)
      expect(response.status).toBe(200)
      const body = await response.end()
      // compozy's frames, with runstream's JSON: `JSON.stringify` does not escape <, > and & as
      // Go's encoder does, which changes no value a JSON parser reads.
      const expected = events(recording).map((frame) => {
        const value = payload(frame.event, frame.data)
        return goEvent(
          frame.id,
          frame.event,
          typeof value === 'string' ? value : JSON.stringify(value),
        )
      })
      expect(eventFrames(body)).toEqual(expected)
      // Where Go escaped nothing, runstream's bytes are compozy's own.
      const compozyFrames = events(recording).map((f) => goEvent(f.id, f.event, f.data))
      expected.forEach((frame, i) => {
        if (!/\\u(003c|003e|0026|2028|2029)/.test(compozyFrames[i] ?? '')) {
          expect(frame).toBe(compozyFrames[i])
        }
      })
    })

    it(`is read by compozy's client code (${recording.name}) exactly as compozy's own server is`, async () => {
      const fromCompozy = await readAsCompozy(await serveRecording(recording), compozyCatalog.names)
      const fromRunstream = await readAsCompozy(
        await serveWithRunstream(recording),
        compozyCatalog.names,
      )
      expect(fromRunstream).toEqual(fromCompozy)
      expect(fromCompozy.length).toBeGreaterThan(0)
    })
  }
})
