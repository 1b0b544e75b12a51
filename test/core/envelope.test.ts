import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  compareEventIds,
  draftBody,
  envelopeHead,
  joinEnvelopeJson,
  parseEventId,
} from '../../src/core/envelope.js'

describe('envelope JSON', () => {
  it('equals JSON.stringify of the whole envelope, for any names and payloads', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.jsonValue(), fc.nat(), (type, stream, data, n) => {
        const id = String(n + 1)
        const ts = '2026-11-21T08:00:00.000Z'
        const json = joinEnvelopeJson(id, draftBody(type, stream, ts, data))
        expect(json).toBe(JSON.stringify({ id, type, stream, ts, data }))
      }),
      { numRuns: 500 },
    )
  })

  it('is the same with a head kept from an earlier event of that type and stream', () => {
    const ts = '2026-11-21T08:00:00.000Z'
    const head = envelopeHead('llm_chunk', 'task:"1"')
    for (const data of [{ text: 'a' }, undefined, null, 'b']) {
      expect(draftBody('llm_chunk', 'task:"1"', ts, data, head)).toBe(
        draftBody('llm_chunk', 'task:"1"', ts, data),
      )
    }
  })

  it('leaves out data that is undefined, as JSON.stringify does', () => {
    const ts = '2026-11-21T08:00:00.000Z'
    expect(joinEnvelopeJson('1', draftBody('tick', 's', ts, undefined))).toBe(
      '{"id":"1","type":"tick","stream":"s","ts":"2026-11-21T08:00:00.000Z"}',
    )
  })

  it('uses toJSON of a payload, as JSON.stringify does', () => {
    const at = new Date(0)
    expect(JSON.parse(joinEnvelopeJson('1', draftBody('t', 's', 'x', { at }))).data.at).toBe(
      '1970-01-01T00:00:00.000Z',
    )
  })
})

describe('event ids', () => {
  it('accepts canonical decimal ids only', () => {
    expect(parseEventId('0')).toBe(0)
    expect(parseEventId('42')).toBe(42)
    for (const bad of ['', '-1', '01', '1e3', ' 1', '1.0', '0x10', '99999999999999999'])
      expect(parseEventId(bad)).toBeUndefined()
  })

  it('compares ids numerically, not as text', () => {
    expect(compareEventIds('9', '10')).toBeLessThan(0)
    expect(compareEventIds('10', '10')).toBe(0)
    expect(compareEventIds('100', '99')).toBeGreaterThan(0)
  })
})
