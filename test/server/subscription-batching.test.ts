import { describe, expect, it } from 'vitest'
import { createStreamManager, executionCatalog } from '../../src/index.js'

// The server pumps each connection with one await per burst: next(), then takeQueued().
describe('subscription.takeQueued', () => {
  it('takes every queued record at once, in order, as next() would', async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    const producer = manager.stream('agent:b')
    for (let i = 1; i <= 5; i++) producer.emit('llm_chunk', { text: `t${i}` })
    const subscription = manager.subscribe({ stream: 'agent:b' })
    const first = await subscription.next()
    expect(first.value?.id).toBe('1')
    expect(subscription.takeQueued().map((e) => e.id)).toEqual(['2', '3', '4', '5'])
    expect(subscription.lastEventId).toBe(`${(await manager.store.read('agent:b')).epoch}.5`)
    expect(subscription.takeQueued()).toEqual([])
    producer.emit('llm_chunk', { text: 'live' })
    expect((await subscription.next()).value?.id).toBe('6')
    await subscription.return?.()
  })

  it('ends the subscription when it takes the terminal event', async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    const producer = manager.stream('agent:t')
    producer.emit('llm_chunk', { text: 'a' })
    producer.emit('llm_chunk', { text: 'b' })
    producer.emit('complete', { status: 'SUCCESS' })
    const subscription = manager.subscribe({ stream: 'agent:t' })
    await subscription.next()
    expect(subscription.takeQueued().map((e) => e.type)).toEqual(['llm_chunk', 'complete'])
    expect(await subscription.next()).toEqual({ value: undefined, done: true })
  })
})
