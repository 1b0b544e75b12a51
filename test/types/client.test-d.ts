import { describe, expectTypeOf, test } from 'vitest'
import { connect, createStreamClient, type StreamEvent, subscribeMany } from '../../src/client.js'
import { executionCatalog } from '../../src/index.js'

describe('client types flow from the catalog', () => {
  test('for await narrows data by type', async () => {
    const subscription = connect('http://x', { catalog: executionCatalog })
    for await (const event of subscription) {
      if (event.type === 'llm_chunk') expectTypeOf(event.data).toEqualTypeOf<{ text: string }>()
      if (event.type === 'complete') expectTypeOf(event.data.status).toBeString()
      expectTypeOf(event.id).toBeString()
      expectTypeOf(event.ts).toEqualTypeOf<string | undefined>()
    }
  })

  test('on() takes the catalog’s names or "*", and types the handler', () => {
    const client = createStreamClient({ baseUrl: 'http://x', catalog: executionCatalog })
    const subscription = client.agent('a1', { events: ['llm_chunk', 'complete'] })
    subscription.on('tool_call', (event) => {
      expectTypeOf(event.data.tool_name).toBeString()
    })
    subscription.on('*', (event) => {
      expectTypeOf(event.type).toEqualTypeOf<
        | 'workflow_start'
        | 'workflow_status'
        | 'agent_status'
        | 'task_status'
        | 'llm_chunk'
        | 'tool_call'
        | 'tool_result'
        | 'tool_result'
        | 'structured_delta'
        | 'complete'
        | 'error'
      >()
    })
    // @ts-expect-error not an event of the catalog
    subscription.on('nope', () => {})
    // @ts-expect-error not an event of the catalog
    client.agent('a1', { events: ['nope'] })
  })

  test('without a catalog, any name and unknown data', () => {
    const subscription = connect('http://x')
    subscription.on('anything', (event) => {
      expectTypeOf(event).toEqualTypeOf<StreamEvent>()
      expectTypeOf(event.data).toBeUnknown()
    })
    expectTypeOf(subscription.readyState).toEqualTypeOf<'connecting' | 'open' | 'closed'>()
  })

  test('subscribeMany yields typed events that always say their stream', async () => {
    const tasks = subscribeMany('http://x/api/v0', ['task:a', 'task:b'], {
      catalog: executionCatalog,
    })
    for await (const event of tasks) {
      expectTypeOf(event.stream).toBeString()
      expectTypeOf(event.ts).toBeString()
      if (event.type === 'llm_chunk') expectTypeOf(event.data).toEqualTypeOf<{ text: string }>()
    }
    expectTypeOf(tasks.lastEventId).toBeString()
    expectTypeOf(tasks.cursor('task:a')).toEqualTypeOf<string | undefined>()
    tasks.update(['task:a'])
    // @ts-expect-error the many-stream request is the client's to make
    subscribeMany('http://x/api/v0', ['task:a'], { method: 'POST' })
  })
})
