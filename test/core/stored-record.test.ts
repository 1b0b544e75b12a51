import { describe, expect, it } from 'vitest'
import { StoredRecord, storedRecord } from '../../src/core/stored-record.js'

const json =
  '{"id":"7","type":"llm_chunk","stream":"agent:a1","ts":"2026-12-07T00:00:00.000Z","data":{"content":"hi"}}'

describe('StoredRecord', () => {
  it('parses its envelope from its JSON once, when first read', () => {
    const record = new StoredRecord('7', 'llm_chunk', json, false, undefined)
    expect(record.envelope).toEqual(JSON.parse(json))
    expect(record.envelope).toBe(record.envelope)
  })

  it('is its own compact copy', () => {
    const record = new StoredRecord('7', 'llm_chunk', json, false, 'e1')
    expect(storedRecord(record)).toBe(record)
  })

  // Test runners print a failed comparison from a copy made on the record's prototype: the
  // private slot is not there, and the copy is given its own `envelope`.
  it("fails a test runner's comparison with an assertion error, not a TypeError", () => {
    const record = new StoredRecord('7', 'llm_chunk', json, false, undefined)
    expect(record).toMatchObject({ envelope: { id: '7', data: { content: 'hi' } } })
    expect(() => expect(record).toMatchObject({ envelope: { id: '8' } })).toThrow(/to match object/)
    expect(() => expect([record]).toEqual([{ envelope: { id: '8' } }])).toThrow(/deeply equal/)
  })
})
