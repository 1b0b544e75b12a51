/**
 * runstream's client parses SSE itself (eventsource-parser builds an `Error`, stack trace and all,
 * for every line of a field it does not know, which a hostile server turns into a CPU sink). This
 * checks it against eventsource-parser on arbitrary streams cut anywhere: the same events, with
 * the same data, names and ids, and the same retry values.
 */
import { createParser } from 'eventsource-parser'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createSseReader } from '../../src/client/parse.js'

const encoder = new TextEncoder()

/** A value for a field: plain text, JSON-ish, unicode, empty, or with a colon or leading space. */
const value = fc.oneof(
  fc.string({ maxLength: 12 }).map((s) => s.replace(/[\r\n]/g, '')),
  fc.constantFrom('', ' ', '42', 'null', '"x"', '{"a":1}', 'a: b', ' lead', 'é€😀', '\u0000x'),
)

/** One line of a stream: a field of the standard, an unknown one, a comment or a blank line. */
const line = fc.oneof(
  { weight: 4, arbitrary: value.map((v) => `data: ${v}`) },
  { weight: 1, arbitrary: value.map((v) => `data:${v}`) },
  { weight: 1, arbitrary: fc.constant('data') },
  { weight: 2, arbitrary: value.map((v) => `event: ${v}`) },
  { weight: 2, arbitrary: value.map((v) => `id: ${v}`) },
  { weight: 1, arbitrary: fc.constantFrom('retry: 250', 'retry: x', 'retry:', 'retry: 1e3') },
  { weight: 1, arbitrary: value.map((v) => `bogus: ${v}`) },
  { weight: 1, arbitrary: value.map((v) => `:${v}`) },
  { weight: 3, arbitrary: fc.constant('') },
)

/** A whole stream: lines with any of the three line ends, maybe a BOM, and where to cut it. */
const stream = fc.record({
  lines: fc.array(fc.tuple(line, fc.constantFrom('\n', '\r', '\r\n')), { maxLength: 40 }),
  bom: fc.boolean(),
  cuts: fc.array(fc.nat(), { maxLength: 8 }),
})

interface Seen {
  events: { data: string; event: string | undefined; id: string | undefined }[]
  retries: number[]
}

function withEventsourceParser(chunks: Uint8Array[]): Seen {
  const seen: Seen = { events: [], retries: [] }
  const parser = createParser({
    onEvent: (event) => seen.events.push({ data: event.data, event: event.event, id: event.id }),
    onRetry: (ms) => seen.retries.push(ms),
  })
  const decoder = new TextDecoder()
  for (const chunk of chunks) parser.feed(decoder.decode(chunk, { stream: true }))
  return seen
}

function withRunstream(chunks: Uint8Array[]): Seen {
  const seen: Seen = { events: [], retries: [] }
  const reader = createSseReader(
    {
      event: (data, event, id) => seen.events.push({ data, event, id }),
      id: () => undefined,
      retry: (ms) => seen.retries.push(ms),
      tooLarge: () => {
        throw new Error('no event here is too large')
      },
    },
    1_000_000,
  )
  for (const chunk of chunks) reader.push(chunk)
  return seen
}

function cut(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort(
    (a, b) => a - b,
  )
  const chunks: Uint8Array[] = []
  let start = 0
  for (const end of at) {
    chunks.push(bytes.subarray(start, end))
    start = end
  }
  chunks.push(bytes.subarray(start))
  return chunks
}

describe("the client's SSE parser", () => {
  it('dispatches what eventsource-parser dispatches, for any stream cut anywhere', () => {
    fc.assert(
      fc.property(stream, ({ lines, bom, cuts }) => {
        const text = (bom ? '\uFEFF' : '') + lines.map(([l, end]) => l + end).join('')
        // A last LF: eventsource-parser holds an event whose blank line is a CR at the very end
        // (a LF may follow); runstream's reader dispatches at the CR and skips such a LF.
        const chunks = [...cut(encoder.encode(text), cuts), encoder.encode('\n')]
        const theirs = withEventsourceParser(chunks)
        const ours = withRunstream(chunks)
        expect(ours.events).toEqual(
          // The standard keeps the last id across events; eventsource-parser reports an event's
          // id only when the event set one, and so does runstream's reader.
          theirs.events,
        )
        expect(ours.retries).toEqual(theirs.retries)
      }),
      { numRuns: 2000 },
    )
  })
})
