import { EventType } from '@ag-ui/core'
import { EventSchema } from '@ag-ui/core/schemas'
import { describe, expect, it } from 'vitest'
import { agUiCatalog } from '../../src/ag-ui.js'

describe('agUiCatalog', () => {
  it("holds every event of @ag-ui/core, with core's own schema", () => {
    const types = EventSchema.options.map((option) => option.shape.type.value)
    expect(types).toHaveLength(Object.keys(EventType).length)
    expect([...agUiCatalog.names].sort()).toEqual([...types].sort())
    for (const option of EventSchema.options) {
      const type = option.shape.type.value as keyof typeof agUiCatalog.schemas
      // RUN_STARTED differs only in its input echo's state (see the catalog).
      if (type !== 'RUN_STARTED') expect(agUiCatalog.schemas[type]).toBe(option)
    }
    const started = {
      type: 'RUN_STARTED',
      threadId: 't',
      runId: 'r',
      input: { threadId: 't', runId: 'r', messages: [], tools: [], context: [], state: null },
    }
    expect(agUiCatalog.validate('RUN_STARTED', started)).toEqual({ ok: true, data: started })
  })

  it('validates whole AG-UI events, keeps unknown members, and refuses what HttpAgent would', () => {
    const event = { type: 'TEXT_MESSAGE_CONTENT', messageId: 'm1', delta: 'Hi', extra: 1 }
    expect(agUiCatalog.validate('TEXT_MESSAGE_CONTENT', event)).toEqual({ ok: true, data: event })
    const missing = agUiCatalog.validate('TEXT_MESSAGE_CONTENT', { type: 'TEXT_MESSAGE_CONTENT' })
    expect(missing.ok).toBe(false)
    // AG-UI forbids null for an optional member.
    const nullResult = agUiCatalog.validate('RUN_FINISHED', {
      type: 'RUN_FINISHED',
      threadId: 't',
      runId: 'r',
      result: null,
    })
    expect(nullResult.ok).toBe(false)
  })

  it('ends a stream at RUN_FINISHED or RUN_ERROR, and a cancelled one with a valid RUN_ERROR', () => {
    expect(agUiCatalog.terminal).toEqual(['RUN_FINISHED', 'RUN_ERROR'])
    const made = agUiCatalog.cancel?.('Stopped by the user.')
    expect(made).toEqual({
      type: 'RUN_ERROR',
      data: { type: 'RUN_ERROR', message: 'Stopped by the user.', code: 'cancelled' },
    })
    expect(agUiCatalog.validate('RUN_ERROR', made?.data).ok).toBe(true)
  })
})
