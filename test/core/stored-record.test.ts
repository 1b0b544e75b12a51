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

  // Test runners print a failed comparison from copies made on the record's prototype, field by
  // field (vitest's diff does): the copy has no private slot, and may be given its own envelope.
  it('reads and takes an envelope on a copy made on its prototype', () => {
    const record = new StoredRecord('7', 'llm_chunk', json, false, undefined)
    const copy = Object.create(Object.getPrototypeOf(record)) as Record<string, unknown>
    for (const key of Object.keys(record))
      copy[key] = (record as unknown as Record<string, unknown>)[key]
    expect(copy.envelope).toEqual(JSON.parse(json))
    copy.envelope = { replaced: true }
    expect(copy.envelope).toEqual({ replaced: true })
    expect(record.envelope).toEqual(JSON.parse(json))
  })
})
