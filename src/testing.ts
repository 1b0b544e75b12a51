/**
 * runstream/testing: tools to test SSE servers and clients (runstream's or any other) against
 * what real networks do. Node only: its types need `@types/node`, listed in
 * `compilerOptions.types` (`"types": ["node"]`).
 * @packageDocumentation
 */

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
