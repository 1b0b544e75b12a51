import type { EventSourceMessage } from 'eventsource-parser'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { readMessage as readFields } from '../../src/client/message.js'
import { createSseReader } from '../../src/client/parse.js'
import {
  createStreamManager,
  defineCatalog,
  type EventRecord,
  memoryStore,
  type RunstreamError,
} from '../../src/index.js'
import { openingFrame, recordFrame } from '../../src/server/frames.js'
import { encodeSse, formatSse } from '../../src/server.js'
import {
  afterSseData,
  chunk,
  concat,
  cuts,
  fieldString,
  trickyString,
  wellFormed,
} from './arbitraries.js'

// The server's own encoder (recordFrame, formatSse) against the client's own reader
// (createSseReader, readMessage), with the bytes cut anywhere in between: what connect() sees.

const catalog = defineCatalog({
  note: z.object({ text: z.string(), parts: z.array(z.string()) }),
})

/** Feeds `chunks` to a fresh client reader; returns what it dispatched. */
function parse(chunks: readonly Uint8Array[]): EventSourceMessage[] {
  const messages: EventSourceMessage[] = []
  const reader = createSseReader(
    {
      event: (data, event, id) => messages.push({ data, event, id }),
      id: () => undefined,
      retry: () => undefined,
      tooLarge: () => {
        throw new Error('no event here is too large')
      },
    },
    1_000_000,
  )
  for (const piece of chunks) reader.push(piece)
  return messages
}

/** The event the client makes of one message. */
const readMessage = (message: EventSourceMessage) =>
  readFields(message.data, message.event, message.id, undefined)

/** Emits `payloads` on a fresh manager; returns the stored records and the reported errors. */
function emitAll(
  payloads: readonly { text: string; parts: string[] }[],
  stream = 'workflow:w1',
): { records: readonly EventRecord[]; errors: RunstreamError[] } {
  const errors: RunstreamError[] = []
  const store = memoryStore()
  const manager = createStreamManager({ catalog, store, onError: (e) => errors.push(e) })
  const handle = manager.stream(stream)
  for (const payload of payloads) handle.emit('note', payload)
  return { records: store.read(stream).events, errors }
}

const payload = fc.record({ text: trickyString, parts: fc.array(trickyString, { maxLength: 3 }) })

/** The frame of a record with the whole envelope in data: (framing: 'envelope'). */
const enveloped = (record: EventRecord) => recordFrame(record, 'envelope')

describe('envelopes through the wire', () => {
  it('come back identical, lone surrogates included, however the bytes are cut', () => {
    fc.assert(
      fc.property(
        fc.array(payload, { minLength: 1, maxLength: 6 }),
        cuts,
        fc.boolean(),
        (payloads, fractions, everyByte) => {
          const { records, errors } = emitAll(payloads)
          expect(errors).toEqual([])
          const bytes = concat([openingFrame(2000), ...records.map(enveloped)])
          const messages = parse(chunk(bytes, fractions, everyByte))
          expect(messages).toHaveLength(payloads.length)
          messages.forEach((message, i) => {
            const record = records[i] as EventRecord
            expect(message.id).toBe(record.envelope.id)
            expect(message.event).toBe('note')
            // The data line is the envelope JSON, byte for byte: JSON escapes every line break
            // and lone surrogate, and U+2028 / U+2029 are not SSE line breaks.
            expect(message.data).toBe(record.json)
            expect(readMessage(message)).toEqual(JSON.parse(record.json))
            expect((readMessage(message).data as { text: string }).text).toBe(payloads[i]?.text)
            expect((readMessage(message).data as { parts: string[] }).parts).toEqual(
              payloads[i]?.parts,
            )
          })
        },
      ),
      { numRuns: 300 },
    )
  })

  it('keep one data line each: the frame of an envelope never contains a raw CR, LF or NUL', () => {
    fc.assert(
      fc.property(payload, trickyString, (data, name) => {
        const stream = `workflow:${name.replace(/[\u0000-\u001f\u007f]/g, '') || 'x'}`
        const { records } = emitAll([data], stream)
        const text = new TextDecoder().decode(recordFrame(records[0] as EventRecord, 'envelope'))
        const lines = text.split('\n')
        expect(lines).toHaveLength(5)
        expect(lines.slice(3)).toEqual(['', ''])
        expect(text.slice(0, -2)).not.toMatch(/[\r\0]|\n\n/)
      }),
      { numRuns: 300 },
    )
  })

  it('come back as the payload alone in payload framing, however the bytes are cut', () => {
    fc.assert(
      fc.property(
        fc.array(payload, { minLength: 1, maxLength: 6 }),
        cuts,
        (payloads, fractions) => {
          const { records } = emitAll(payloads)
          const frames = records.map((record) => recordFrame(record, 'payload'))
          const messages = parse(chunk(concat([openingFrame(2000), ...frames]), fractions))
          expect(messages).toHaveLength(payloads.length)
          messages.forEach((message, i) => {
            const record = records[i] as EventRecord
            expect(message.id).toBe(record.envelope.id)
            expect(message.event).toBe('note')
            expect(message.data).toBe(JSON.stringify(record.envelope.data))
            expect(JSON.parse(message.data)).toEqual(payloads[i])
          })
        },
      ),
      { numRuns: 300 },
    )
  })

  it('have strictly increasing ids, as the client reads them', () => {
    fc.assert(
      fc.property(
        fc.array(payload, { minLength: 2, maxLength: 20 }),
        cuts,
        (payloads, fractions) => {
          const { records } = emitAll(payloads)
          const ids = parse(chunk(concat(records.map(enveloped)), fractions)).map((m) =>
            Number(m.id),
          )
          expect(ids).toEqual(ids.map((_, i) => i + 1))
        },
      ),
    )
  })
})

describe('raw SSE messages (formatSse / encodeSse)', () => {
  it('come back as documented: line breaks become LF, lone surrogates U+FFFD, NUL kept in data', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ data: trickyString, id: fieldString, event: fieldString }), {
          minLength: 1,
          maxLength: 5,
        }),
        cuts,
        (messages, fractions) => {
          const bytes = concat(
            messages.map((m) => encodeSse({ id: m.id, event: m.event || undefined, data: m.data })),
          )
          const parsed = parse(chunk(bytes, fractions))
          expect(parsed).toHaveLength(messages.length)
          parsed.forEach((got, i) => {
            const sent = messages[i] as { data: string; id: string; event: string }
            expect(got.data).toBe(afterSseData(sent.data))
            expect(got.id).toBe(wellFormed(sent.id))
            expect(got.event).toBe(sent.event === '' ? undefined : wellFormed(sent.event))
          })
        },
      ),
      { numRuns: 300 },
    )
  })

  it('refuse CR, LF and NUL in id and event, whatever surrounds them', () => {
    const injected = fc
      .tuple(fieldString, fc.constantFrom('\r', '\n', '\r\n', '\0'), fieldString)
      .map(([a, bad, b]) => a + bad + b)
    fc.assert(
      fc.property(injected, (value) => {
        expect(() => formatSse({ id: value, data: 'x' })).toThrow(TypeError)
        expect(() => formatSse({ event: value, data: 'x' })).toThrow(TypeError)
      }),
    )
  })
})

describe('event types', () => {
  it('never inject a frame: a type is refused at emit, or read back whole from one frame', () => {
    fc.assert(
      fc.property(trickyString, (type) => {
        const errors: RunstreamError[] = []
        const store = memoryStore()
        const manager = createStreamManager({
          catalog,
          store,
          validate: false,
          onError: (e) => errors.push(e),
        })
        manager.stream('workflow:w1').emit(type as 'note', { text: 'x', parts: [] })
        const { events } = store.read('workflow:w1')
        if (type === '' || /[\u0000-\u001f\u007f]/.test(type)) {
          expect(events).toEqual([])
          expect(errors.map((e) => e.code)).toEqual(['unknown_event'])
          return
        }
        const messages = parse([recordFrame(events[0] as EventRecord, 'envelope')])
        expect(messages).toHaveLength(1)
        expect(messages[0]?.id).toBe('1')
        expect(readMessage(messages[0] as EventSourceMessage).type).toBe(type)
      }),
      { numRuns: 500 },
    )
  })
})
