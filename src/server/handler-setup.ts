import type { StreamManager } from '../core/manager.js'
import { type ActiveRuns, activeRuns } from './active-runs.js'
import { checkRunStore } from './manager-check.js'
import type { HandlerOptions } from './options.js'
import { createHandlerPipeline, type HandlerPipeline } from './pipeline.js'
import { type ProtocolRoutes, protocolRoutes } from './protocol-routes.js'
import { type ResolvedHandlerOptions, resolveHandlerOptions } from './settings.js'

/** A handler's options, checked, and the one pipeline that answers its requests. */
export interface HandlerSetup {
  readonly resolved: ResolvedHandlerOptions
  readonly pipeline: HandlerPipeline
}

/** A protocol adapter's setup: its options and pipeline, its conversations' pointers, its routes. */
export interface ProtocolHandlerSetup extends HandlerSetup {
  /** The active run of each conversation (a chat, a thread). */
  readonly conversations: ActiveRuns
  /** The steps its routes share. */
  readonly routes: ProtocolRoutes
}

/**
 * What every handler factory does once the manager is checked: resolves `options` (a wrong one
 * throws the `TypeError` naming `where`), refuses a store without runs when the options turn the
 * run routes on, and makes the pipeline. One place, so the Fetch, Node and protocol handlers
 * cannot drift in what they check or in what order.
 * @param hasDefaultKey - whether the edge tells clients apart without `clientKey` (Node does)
 */
export function setUpHandler(
  where: string,
  manager: StreamManager,
  options: HandlerOptions,
  hasDefaultKey: boolean,
): HandlerSetup {
  const resolved = resolveHandlerOptions(where, options, manager.onError, hasDefaultKey)
  if (resolved.start !== undefined || resolved.cancelRoute) checkRunStore(where, manager)
  return { resolved, pipeline: createHandlerPipeline(manager, resolved) }
}

/**
 * {@link setUpHandler} for a protocol adapter (AG-UI, the AI SDK), whose routes start runs,
 * point each conversation at its active run (pointer streams `<pointerPrefix>:<key>`) and answer
 * `GET` and `POST`. Its manager and store are checked by the caller first, with its own catalog.
 */
export function setUpProtocolHandler(
  where: string,
  manager: StreamManager,
  options: HandlerOptions,
  pointerPrefix: string,
): ProtocolHandlerSetup {
  const { resolved, pipeline } = setUpHandler(where, manager, options, false)
  return {
    resolved,
    pipeline,
    conversations: activeRuns(manager.store, pointerPrefix),
    routes: protocolRoutes(manager, pipeline, resolved, 'GET, POST, OPTIONS'),
  }
}
