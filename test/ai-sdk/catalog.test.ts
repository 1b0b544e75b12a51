import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import { defineUiMessageCatalog, uiMessageCatalog } from '../../src/ai-sdk.js'
import { AI_MAJOR, ai, mockModel } from './ai.js'

describe(`uiMessageCatalog (ai@${AI_MAJOR})`, () => {
  it("validates every chunk of a real streamText's toUIMessageStream(), unchanged", async () => {
    const result = ai.streamText({ model: mockModel(['Hello', ', world']), prompt: 'hi' })
    const chunks: { type: string }[] = []
    for await (const chunk of result.toUIMessageStream({ generateMessageId: () => 'msg-1' })) {
      chunks.push(chunk)
    }
    expect(chunks.map((chunk) => chunk.type)).toEqual([
      'start',
      'start-step',
      'text-start',
      'text-delta',
      'text-delta',
      'text-end',
      'finish-step',
      'finish',
    ])
    for (const chunk of chunks) {
      expect(uiMessageCatalog.validate(chunk.type, chunk)).toEqual({ ok: true, data: chunk })
    }
  })

  it('ends a stream at finish or abort, not at error, and a cancelled one with abort', () => {
    expect(uiMessageCatalog.terminal).toEqual(['finish', 'abort'])
    expect(uiMessageCatalog.isTerminal('error')).toBe(false)
    const made = uiMessageCatalog.cancel?.('Stopped.')
    expect(made).toEqual({ type: 'abort', data: { type: 'abort', reason: 'Stopped.' } })
    expect(uiMessageCatalog.validate('abort', made?.data).ok).toBe(true)
  })

  it('takes the data parts an app declares, validates their data, and knows no other', () => {
    const catalog = defineUiMessageCatalog({ data: { weather: z.object({ city: z.string() }) } })
    const chunk = { type: 'data-weather', id: 'd1', data: { city: 'Oslo' } }
    expect(catalog.validate('data-weather', chunk)).toEqual({ ok: true, data: chunk })
    expect(catalog.validate('data-weather', { type: 'data-weather', data: { city: 1 } }).ok).toBe(
      false,
    )
    expect(catalog.has('data-other')).toBe(false)
    expect(uiMessageCatalog.has('data-weather')).toBe(false)
    expect(() => defineUiMessageCatalog({ data: [] as never })).toThrowError(/`data` must map/)
  })
})
