import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { redisStore } from '../../src/redis.js'
import { storeContract } from '../contract/store.js'
import { deleteKeys, openTestStore, SHARED_REDIS_URL, uniquePrefix } from './helpers.js'
import { IOREDIS_MAJOR } from './ioredis.js'

// The shared store contract, against the real Redis at 127.0.0.1:6379 (or REDIS_URL), each store
// under a prefix of its own whose keys are deleted afterwards. Forgetting a stream deletes its
// keys, as its expiry would.
storeContract('redis', ({ maxEventsPerStream }) => {
  const { store, prefix, dispose } = openTestStore({ maxEventsPerStream })
  return {
    store,
    close: dispose,
    async forget(stream) {
      await store.client.del(`${prefix}{${stream}}:events`, `${prefix}{${stream}}:meta`)
    },
  }
})

// ioredis 6 speaks RESP3 unless told otherwise; the store works in whatever protocol its
// connections speak: its own (the protocol in `redisOptions`), and a client passed in (its
// subscriber is that client's duplicate()).
if (IOREDIS_MAJOR >= 6) {
  storeContract('redis, RESP2 (redisOptions: { protocol: 2 })', ({ maxEventsPerStream }) => {
    const prefix = uniquePrefix('resp2')
    const store = redisStore({
      url: SHARED_REDIS_URL,
      redisOptions: { protocol: 2 },
      prefix,
      maxEventsPerStream,
    })
    return {
      store,
      async close() {
        await store.close()
        await deleteKeys(SHARED_REDIS_URL, prefix)
      },
      async forget(stream) {
        await store.client.del(`${prefix}{${stream}}:events`, `${prefix}{${stream}}:meta`)
      },
    }
  })
}

const clients: [string, () => Redis][] = [
  ['ioredis defaults', () => new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: 0 })],
]
if (IOREDIS_MAJOR >= 6) {
  clients.push(
    ['RESP2', () => new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: 0, protocol: 2 })],
    [
      'RESP3 reply shapes',
      () =>
        new Redis(SHARED_REDIS_URL, {
          maxRetriesPerRequest: 0,
          protocol: 3,
          replyMapping: 'resp3',
        }),
    ],
  )
}
for (const [name, open] of clients) {
  storeContract(`redis, a client passed in (${name})`, ({ maxEventsPerStream }) => {
    const prefix = uniquePrefix('client')
    const client = open()
    const store = redisStore({ client, prefix, maxEventsPerStream })
    return {
      store,
      async close() {
        await store.close()
        await deleteKeys(SHARED_REDIS_URL, prefix)
        await client.quit()
      },
      async forget(stream) {
        await client.del(`${prefix}{${stream}}:events`, `${prefix}{${stream}}:meta`)
      },
    }
  })
}

describe('the protocol of the stores above', () => {
  it('is RESP3 by default from ioredis 6 (RESP2 on ioredis 5), RESP2 with protocol: 2', async () => {
    const byDefault = openTestStore()
    const client = new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: 0 })
    try {
      const resp = IOREDIS_MAJOR >= 6 ? 3 : 2
      expect(await protocolOf(byDefault.store.client)).toBe(resp)
      expect(await protocolOf(client)).toBe(resp)
      if (IOREDIS_MAJOR >= 6) {
        const two = redisStore({ url: SHARED_REDIS_URL, redisOptions: { protocol: 2 } })
        expect(await protocolOf(two.client)).toBe(2)
        await two.close()
      }
    } finally {
      await byDefault.dispose()
      client.disconnect()
    }
  })
})

// The RESP version a connection speaks, as Redis reports it (CLIENT INFO, Redis 7).
async function protocolOf(connection: Pick<Redis, 'call'>): Promise<number> {
  const info = String(await connection.call('CLIENT', 'INFO'))
  return Number(/\bresp=(\d)/.exec(info)?.[1])
}
