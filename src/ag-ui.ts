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
