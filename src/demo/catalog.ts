import { executionCatalog } from '../catalogs/execution.js'
import { orchestrationCatalog } from '../catalogs/orchestration.js'
import { mergeCatalogs } from '../core/catalog.js'

/**
 * The demo's catalog: the agent loop's events (`task_started`, `reflection`, …) plus the
 * execution events, whose `complete` and `error` end a stream. The server, the simulation and the
 * page all use this one value, so a renamed event fails to compile everywhere at once.
 */
export const demoCatalog = /* @__PURE__ */ mergeCatalogs(executionCatalog, orchestrationCatalog)

/** The type of {@link demoCatalog}. */
export type DemoCatalog = typeof demoCatalog
