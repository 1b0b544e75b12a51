import { memoryStore } from '../../src/index.js'
import { storeContract } from '../contract/store.js'

storeContract('memory', ({ maxEventsPerStream }) => ({
  store: memoryStore({ maxEventsPerStream }),
  close: async () => {},
}))
