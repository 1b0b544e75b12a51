/**
 * runstream/testing: tools to test SSE servers and clients (runstream's or any other) against
 * what real networks do, and the contract suites that a store or a transport of your own must
 * pass. Node only: its types need `@types/node`, listed in `compilerOptions.types`
 * (`"types": ["node"]`).
 * @packageDocumentation
 */

export { contractCatalog } from './testing/contract/catalog.js'
export type { ContractCheck } from './testing/contract/check.js'
export {
  type StoreFactory,
  type StoreHarness,
  storeContract,
} from './testing/contract/store.js'
export {
  type TransportFactory,
  type TransportHarness,
  transportContract,
} from './testing/contract/transport.js'

export {
  createFaultProxy,
  type FaultProxy,
  type FaultProxyOptions,
} from './testing/fault-proxy.js'
export {
  createFaultServer,
  type FaultAnswer,
  type FaultEvent,
  type FaultRequest,
  type FaultServer,
  type FaultServerOptions,
  type FaultStream,
} from './testing/fault-server.js'
export {
  connectSlowReader,
  type SlowReader,
  type SlowReaderOptions,
} from './testing/slow-reader.js'
