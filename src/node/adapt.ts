import { ANSWER, isAnsweringHandler, type ProtocolHandler } from '../server/answering.js'
import { internalFailure } from '../server/pipeline.js'
import type { HandlerStats } from '../server/registry.js'
import {
  type NodeRequest,
  type NodeResponse,
  nodeIncoming,
  writeAnswer,
  writeRefusal,
} from './handler.js'

/**
 * A protocol handler on Node: `(req, res, next?)`, for `node:http`, `node:http2`, Express and
 * Fastify. It resolves once the answer is decided and its stream has started.
 */
export interface NodeProtocolHandler {
  (req: NodeRequest, res: NodeResponse, next?: (error?: unknown) => void): Promise<void>
  /** What the open streams hold right now. */
  stats(): HandlerStats
  /** Ends every open stream so that clients resume elsewhere, and answers new requests with 503. */
  close(): void
}

/**
 * Serves a handler of `runstream/ag-ui` (`createAgUiHandler`) or `runstream/ai-sdk`
 * (`createChatHandler`) on Node, with the same answers and bytes as its Fetch form, written
 * straight to the Node response as `createNodeHandler` writes its own (frames joined while the
 * socket is busy, `drain` awaited), with no Fetch `Request` or `Response` made per request. A path
 * that is none of its routes calls `next()` when given (Express middleware), and gets a JSON 404
 * otherwise. `stats()` and `close()` are the handler's.
 *
 * @param handler - what `createAgUiHandler` or `createChatHandler` returned
 * @throws TypeError for any other function: use `createNodeHandler` for the stream routes.
 * @example
 * ```ts
 * app.use(toNodeHandler(createChatHandler(manager, { run })))   // Express
 * http.createServer(toNodeHandler(agent)).listen(3000)            // node:http
 * ```
 */
export function toNodeHandler(handler: ProtocolHandler): NodeProtocolHandler {
  if (!isAnsweringHandler(handler)) {
    throw new TypeError(
      'toNodeHandler: pass a handler of runstream/ag-ui (createAgUiHandler) or runstream/ai-sdk (createChatHandler). For the stream routes, use createNodeHandler.',
    )
  }
  const { answer, options } = handler[ANSWER]
  const node = async (
    req: NodeRequest,
    res: NodeResponse,
    next?: (error?: unknown) => void,
  ): Promise<void> => {
    try {
      const answered = await answer(nodeIncoming(req, res))
      if (answered.kind === 'no-route' && next !== undefined) next()
      else await writeAnswer(res, answered)
    } catch (error) {
      // node:http does not handle the promise a listener returns: nothing may escape.
      writeRefusal(res, internalFailure(options, error))
    }
  }
  return Object.assign(node, { stats: () => handler.stats(), close: () => handler.close() })
}
