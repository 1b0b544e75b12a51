import { storeContract } from '../contract/store.js'
import { openTestStore } from './helpers.js'

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
