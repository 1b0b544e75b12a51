/**
 * runstream/ag-ui: AG-UI agents whose runs survive dropped connections, closed tabs and
 * restarted servers. `agUiCatalog` (the AG-UI events, `@ag-ui/core`'s schemas),
 * `createAgUiHandler` (the server an AG-UI client is pointed at) and `RunstreamAgent` (an AG-UI
 * agent that resumes through every drop).
 *
 * Needs the optional peers `@ag-ui/core`, `@ag-ui/client` and `rxjs`.
 * @packageDocumentation
 */
export { RunstreamAgent, type RunstreamAgentConfig } from './ag-ui/agent.js'
export {
  type AgUiCatalog,
  type AgUiCatalogEvent,
  type AgUiSchemas,
  agUiCatalog,
} from './ag-ui/catalog.js'
export {
  type AgUiHandlerOptions,
  type AgUiRun,
  type AgUiRunContext,
  createAgUiHandler,
} from './ag-ui/handler.js'
export type { AgUiEventLike } from './ag-ui/producer.js'
export type { ProtocolHandler } from './server/answering.js'
export type { EventSource, Subscribable } from './server/produce.js'
