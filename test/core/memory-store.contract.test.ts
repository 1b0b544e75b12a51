import { memoryStore } from '../../src/index.js'
import { storeContract } from '../contract/store.js'

storeContract('memory', ({ maxEventsPerStream }) => {
  const store = memoryStore({ maxEventsPerStream })
  return { store, close: async () => {}, forget: (stream) => store.clear(stream) }
})
