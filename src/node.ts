/**
 * runstream/node: the Node.js edge. The only entry that touches `node:*` or `process`.
 *
 * Its types need Node's: install `@types/node` and list it in `compilerOptions.types`
 * (`"types": ["node"]`), which TypeScript 7 and `tsc --init` projects do not load by themselves.
 * @packageDocumentation
 */
export { type NodeProtocolHandler, toNodeHandler } from './node/adapt.js'
export {
  createNodeHandler,
  type NodeHandler,
  type NodeRequest,
  type NodeResponse,
} from './node/handler.js'
export { type StdoutTransportOptions, stdoutTransport } from './node/stdout.js'
export type { ProtocolHandler } from './server/answering.js'
export type {
  HandlerOptions,
  RespondOptions,
  RunRequestOptions,
  RunStart,
} from './server/options.js'
export type { HandlerStats } from './server/registry.js'
export type { RunRouteOptions } from './server/run-response.js'
