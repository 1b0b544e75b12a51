import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import {
  createStreamManager,
  executionCatalog,
  memoryStore,
  type RunstreamError,
} from '../../src/index.js'

// Every option is checked where it is given: misuse throws a TypeError that says how to fix it,
// instead of failing (or being ignored) later.
describe('createStreamManager options', () => {
  it('refuses maxEventBytes that is not a positive whole number, instead of failing every emit', () => {
    for (const maxEventBytes of [-5, 0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1000']) {
      expect(() =>
        createStreamManager({ catalog: executionCatalog, maxEventBytes: maxEventBytes as number }),
      ).toThrow(/`maxEventBytes` must be a positive whole number of bytes, such as 1_048_576/)
    }
  })

  it('refuses an object that is not a catalog, naming defineCatalog', () => {
    expect(() => createStreamManager({ catalog: {} as never })).toThrow(
      /`catalog` must be a catalog made with defineCatalog\(\)/,
    )
    expect(() => createStreamManager({} as never)).toThrow(/`catalog` is required/)
    // A map of schemas, the most likely mistake: wrap it.
    expect(() => createStreamManager({ catalog: { ping: z.object({}) } as never })).toThrow(
      /map of zod schemas, not a catalog. Wrap it: catalog: defineCatalog/,
    )
  })

  it('refuses a store, transports, onError, validate or maxQueuedEvents of the wrong kind', () => {
    const catalog = executionCatalog
    expect(() => createStreamManager({ catalog, store: {} as never })).toThrow(
      /`store` must be an event store with append\(\), read\(\) and listen\(\)/,
    )
    expect(() => createStreamManager({ catalog, transports: {} as never })).toThrow(
      /`transports` must be an array/,
    )
    expect(() => createStreamManager({ catalog, transports: [{ name: 'x' } as never] })).toThrow(
      /`transports\[0\]` must be a transport/,
    )
    expect(() => createStreamManager({ catalog, onError: 'console' as never })).toThrow(
      /`onError` must be a function/,
    )
    expect(() => createStreamManager({ catalog, validate: 'yes' as never })).toThrow(
      /`validate` must be true or false/,
    )
    expect(() => createStreamManager({ catalog, maxQueuedEvents: 0 })).toThrow(
      /`maxQueuedEvents` must be a positive whole number of events/,
    )
  })

  it('refuses the old name maxSubscriberQueue, naming maxQueuedEvents', () => {
    expect(() =>
      createStreamManager({ catalog: executionCatalog, maxSubscriberQueue: 10 } as never),
    ).toThrow(/`maxSubscriberQueue` was renamed to `maxQueuedEvents`/)
  })
})

describe('subscribe options', () => {
  const manager = createStreamManager({ catalog: executionCatalog })

  it('refuses the old names after and maxQueue, naming their replacements', () => {
    expect(() => manager.subscribe({ stream: 'task:1', after: '3' } as never)).toThrow(
      /`after` was renamed to `lastEventId`/,
    )
    expect(() => manager.subscribeRecords({ stream: 'task:1', maxQueue: 3 } as never)).toThrow(
      /`maxQueue` was renamed to `maxQueuedEvents`/,
    )
    // Even when undefined: old code passing `after: cursor` must fail loudly, not be ignored.
    expect(() => manager.subscribe({ stream: 'task:1', after: undefined } as never)).toThrow(
      TypeError,
    )
  })

  it('refuses a bad queue bound, onGap or signal', () => {
    expect(() => manager.subscribe({ stream: 'task:1', maxQueuedEvents: 2.5 })).toThrow(
      /`maxQueuedEvents` must be a positive whole number/,
    )
    expect(() => manager.subscribe({ stream: 'task:1', onGap: true as never })).toThrow(
      /`onGap` must be a function/,
    )
    expect(() => manager.subscribe({ stream: 'task:1', signal: {} as never })).toThrow(
      /`signal` must be an AbortSignal/,
    )
    expect(() => manager.subscribe({ stream: '' })).toThrow(/Invalid stream name/)
  })
})

describe('memoryStore options', () => {
  it('refuses maxEventsPerStream: 2.5 instead of keeping 3', () => {
    expect(() => memoryStore({ maxEventsPerStream: 2.5 })).toThrow(
      /`maxEventsPerStream` must be a positive whole number of events, such as 100_000; got 2.5/,
    )
  })

  it('refuses every other bound that is not a positive whole number, and a clock that is not a function', () => {
    for (const name of [
      'maxBytesPerStream',
      'maxBytes',
      'finishedTtlMs',
      'idleTtlMs',
      'maxStreams',
    ] as const) {
      expect(() => memoryStore({ [name]: -1 })).toThrow(
        new RegExp(`\`${name}\` must be a positive`),
      )
      expect(() => memoryStore({ [name]: 0.5 })).toThrow(TypeError)
    }
    expect(() => memoryStore({ now: 5 as never })).toThrow(/`now` must be a function/)
    expect(() => memoryStore('big' as never)).toThrow(/pass an options object/)
  })

  it('refuses the old read option `after`, naming lastEventId, and a bad limit', () => {
    const store = memoryStore()
    expect(() => store.read('s', { after: '1' } as never)).toThrow(
      /`after` was renamed to `lastEventId`/,
    )
    expect(() => store.read('s', { limit: Number.NaN })).toThrow(/`limit` must be a whole number/)
  })
})

describe('manager.close()', () => {
  it('closes the store it was given, once, and reports emits afterwards', async () => {
    let closes = 0
    const inner = memoryStore()
    const errors: RunstreamError[] = []
    const manager = createStreamManager({
      catalog: executionCatalog,
      store: {
        append: (draft) => inner.append(draft),
        read: (stream, options) => inner.read(stream, options),
        listen: (stream, listener) => inner.listen(stream, listener),
        close() {
          closes++
        },
      },
      onError: (error) => errors.push(error),
    })
    manager.stream('task:c').emit('llm_chunk', { text: 'a' })
    await Promise.all([manager.close(), manager.close()])
    expect(closes).toBe(1)
    manager.stream('task:c').emit('llm_chunk', { text: 'b' })
    expect(errors.map((e) => e.code)).toEqual(['stream_finished'])
  })

  it('reports a store that fails to close through onError', async () => {
    const errors: RunstreamError[] = []
    const inner = memoryStore()
    const manager = createStreamManager({
      catalog: executionCatalog,
      store: {
        append: (draft) => inner.append(draft),
        read: (stream, options) => inner.read(stream, options),
        listen: (stream, listener) => inner.listen(stream, listener),
        close: () => Promise.reject(new Error('socket hung')),
      },
      onError: (error) => errors.push(error),
    })
    await manager.close()
    expect(errors.map((e) => e.code)).toEqual(['store_failed'])
    expect(errors[0]?.message).toContain('socket hung')
  })
})
