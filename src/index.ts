/**
 * runstream: the core. Define a typed event catalog, emit events fire-and-forget through a
 * StreamManager, and deliver the same envelope to every transport and subscriber.
 *
 * Web standards only: this entry runs in Node, browsers, Deno, Bun and Workers.
 * @packageDocumentation
 */

export {
  compozyCatalog,
  compozyError,
  compozyUsage,
  compozyUsageEntry,
} from './catalogs/compozy.js'
export { executionCatalog, executionStatus, usageSchema } from './catalogs/execution.js'
export { orchestrationCatalog } from './catalogs/orchestration.js'
export {
  type AnyCatalog,
  type CancelEvent,
  type Catalog,
  type CatalogEvent,
  type CatalogOptions,
  defineCatalog,
  type EmitArgs,
  type EventData,
  type EventInput,
  type EventName,
  type EventSchemas,
  mergeCatalogs,
  type ValidationResult,
} from './core/catalog.js'
export {
  type CatalogEnvelope,
  type DraftEvent,
  type Envelope,
  type EventRecord,
  isEnvelope,
  joinEnvelopeJson,
  recordFromDraft,
  recordFromJson,
} from './core/envelope.js'
export {
  EventValidationError,
  isRunstreamError,
  RunstreamError,
  type RunstreamErrorCode,
  type RunstreamErrorOptions,
  type ValidationIssue,
} from './core/errors.js'
export {
  compareEventIds,
  formatCursor,
  isEpoch,
  newEpoch,
  type ParsedCursor,
  parseCursor,
  parseEventId,
} from './core/event-id.js'
export {
  createStreamManager,
  type ManagerEvent,
  type Run,
  type StreamHandle,
  type StreamManager,
  type StreamManagerOptions,
} from './core/manager.js'
export { type MemoryStore, type MemoryStoreOptions, memoryStore } from './core/memory-store.js'
export type {
  CutoffBound,
  DropReason,
  LagMetrics,
  MetricsObserver,
  StoreOperation,
  StreamMetrics,
} from './core/metrics.js'
export type { CancelOutcome, RunKind, StartRunOptions } from './core/runs.js'
export type {
  CancelListener,
  EventStore,
  ReadOptions,
  ReadResult,
  RunState,
  StoreListener,
  Unlisten,
} from './core/store.js'
export type {
  GapInfo,
  RecordSubscription,
  SubscribeOptions,
  Subscription,
  SubscriptionOf,
} from './core/subscription.js'
export type { Transport } from './core/transport.js'
export {
  type JsonLinesTransportOptions,
  jsonLinesTransport,
  type LineSink,
} from './transports/json-lines.js'
export {
  type MemoryTransport,
  type MemoryTransportOptions,
  memoryTransport,
} from './transports/memory.js'
