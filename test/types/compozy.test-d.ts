import { describe, expectTypeOf, it } from 'vitest'
import {
  type CatalogEvent,
  compozyCatalog,
  createStreamManager,
  type EventData,
  type EventName,
} from '../../src/index.js'

type C = typeof compozyCatalog

describe('compozyCatalog types', () => {
  it('types llm_chunk as raw text and status events with their ts', () => {
    expectTypeOf<EventData<C, 'llm_chunk'>>().toEqualTypeOf<string>()
    expectTypeOf<EventData<C, 'agent_status'>['ts']>().toEqualTypeOf<string>()
    expectTypeOf<EventName<C>>().toExtend<string>()
    expectTypeOf<'workflow_start'>().toExtend<EventName<C>>()
  })

  it('narrows the error union: a workflow error is a string, an agent error an object', () => {
    const handle = (event: CatalogEvent<C>) => {
      if (event.type !== 'error') return
      const data = event.data
      if ('ts' in data) {
        expectTypeOf(data.error).toEqualTypeOf<
          | {
              message?: string | undefined
              code?: string | undefined
              details?: Record<string, unknown> | undefined
            }
          | undefined
        >()
      } else if ('status' in data) {
        expectTypeOf(data.error).toEqualTypeOf<string | undefined>()
      } else {
        expectTypeOf(data.message).toEqualTypeOf<string>()
      }
    }
    expectTypeOf(handle).toBeFunction()
  })

  it('lets a producer emit raw text tokens and refuses an object for them', () => {
    const stream = createStreamManager({ catalog: compozyCatalog }).stream('agent:a')
    stream.emit('llm_chunk', '42')
    // @ts-expect-error llm_chunk carries text, not { text }
    stream.emit('llm_chunk', { text: 'x' })
    // @ts-expect-error agent_status needs its ts
    stream.emit('agent_status', { status: 'RUNNING' })
  })
})
