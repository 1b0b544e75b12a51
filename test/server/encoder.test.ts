import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { recordFrame } from '../../src/server/frames.js'
import { encodeSse, formatSse } from '../../src/server.js'
import { parseSse } from '../helpers/http.js'

describe('formatSse', () => {
  it('writes id, event and data lines in that order, ending with a blank line', () => {
    expect(formatSse({ id: '7', event: 'llm_chunk', data: '{"a":1}' })).toBe(
      'id: 7\nevent: llm_chunk\ndata: {"a":1}\n\n',
    )
  })

  it('splits data on LF, CR and CRLF into one data line each', () => {
    expect(formatSse({ data: 'a\nb\rc\r\nd' })).toBe('data: a\ndata: b\ndata: c\ndata: d\n\n')
  })

  it('keeps empty lines of data, leading and trailing ones included', () => {
    expect(formatSse({ data: '\nx\n' })).toBe('data:\ndata: x\ndata:\n\n')
    expect(formatSse({ data: '' })).toBe('data:\n\n')
    expect(formatSse({ data: '\r\n\r\n' })).toBe('data:\ndata:\ndata:\n\n')
  })

  it('keeps a leading space of a data line, since exactly one space follows the colon', () => {
    expect(formatSse({ data: ' indented' })).toBe('data:  indented\n\n')
  })

  it('writes a comment as colon lines, and a heartbeat is a comment alone', () => {
    expect(formatSse({ comment: 'ping' })).toBe(': ping\n\n')
    expect(formatSse({ comment: 'two\nlines' })).toBe(': two\n: lines\n\n')
  })

  it('writes retry first, so a stream can open with retry and a comment', () => {
    expect(formatSse({ retry: 2000, comment: 'ok' })).toBe('retry: 2000\n: ok\n\n')
    expect(formatSse({ id: '1', retry: 0, data: 'x' })).toBe('retry: 0\nid: 1\ndata: x\n\n')
  })

  it('allows an empty id, which resets the client last event id', () => {
    expect(formatSse({ id: '', data: 'x' })).toBe('id:\ndata: x\n\n')
  })

  it.each([
    ['LF', 'a\nb'],
    ['CR', 'a\rb'],
    ['CRLF', 'a\r\nb'],
    ['NUL', 'a\0b'],
  ])('refuses an id or event name containing %s', (_, value) => {
    expect(() => formatSse({ id: value, data: 'x' })).toThrow(TypeError)
    expect(() => formatSse({ id: value, data: 'x' })).toThrow(/CR, LF or NUL.*inject/)
    expect(() => formatSse({ event: value, data: 'x' })).toThrow(TypeError)
  })

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses retry %s', (retry) => {
    expect(() => formatSse({ retry })).toThrow(/non-negative integer/)
  })
})

describe('encodeSse', () => {
  it('encodes as UTF-8', () => {
    expect([...encodeSse({ data: 'é🚀' })]).toEqual([...Buffer.from('data: é🚀\n\n', 'utf8')])
  })

  it('round-trips any data, id and event through a spec parser', () => {
    const field = fc.string({ unit: 'grapheme' }).filter((s) => !/[\r\n\0]/.test(s))
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), field, field, (data, id, event) => {
        const messages = parseSse(
          new TextDecoder().decode(
            encodeSse({ id, event: event === '' ? undefined : event, data }),
          ),
        )
        expect(messages).toHaveLength(1)
        // A spec parser turns every line break into LF.
        expect(messages[0]?.data).toBe(data.replace(/\r\n|\r/g, '\n'))
        expect(messages[0]?.id).toBe(id)
        if (event !== '') expect(messages[0]?.event).toBe(event)
      }),
    )
  })
})

describe('recordFrame', () => {
  const record = {
    envelope: { id: '3', type: 'llm_chunk', stream: 'agent:a', ts: 't', data: { text: 'a\nb' } },
    json: '{"id":"3","type":"llm_chunk","stream":"agent:a","ts":"t","data":{"text":"a\\nb"}}',
    terminal: false,
  }

  it('is the id, the event type and the envelope JSON as one data line, enveloped', () => {
    expect(new TextDecoder().decode(recordFrame(record, 'envelope'))).toBe(
      `id: 3\nevent: llm_chunk\ndata: ${record.json}\n\n`,
    )
  })

  it('is the id, the event type and the payload JSON alone, in payload framing', () => {
    expect(new TextDecoder().decode(recordFrame(record, 'payload'))).toBe(
      'id: 3\nevent: llm_chunk\ndata: {"text":"a\\nb"}\n\n',
    )
  })

  it('is encoded once per record and framing, and shared by every caller', () => {
    expect(recordFrame(record, 'payload')).toBe(recordFrame(record, 'payload'))
    expect(recordFrame(record, 'envelope')).toBe(recordFrame(record, 'envelope'))
    expect(recordFrame(record, 'envelope')).not.toBe(recordFrame(record, 'payload'))
  })
})
