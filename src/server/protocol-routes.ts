import { RunstreamError } from '../core/errors.js'
import type { StreamManager } from '../core/manager.js'
import { checkAuthorized } from './authorize.js'
import { corsHeaders, isOriginAllowed, preflightHeaders } from './cors.js'
import { noRoute } from './dispatch.js'
import { type Refusal, refusal } from './http-errors.js'
import type { IncomingRequest } from './incoming.js'
import { type HandlerPipeline, internalFailure } from './pipeline.js'
import { hasDotSegmentOrBackslash } from './routes.js'
import type { ResolvedSseOptions } from './settings.js'
import type { Answer } from './stream-answer.js'

/** What the routes of a protocol adapter share: guards, refusals, methods, the active run. */
export interface ProtocolRoutes {
  /**
   * Runs `answer` for a request: refuses a path with a dot segment or a backslash first, and
   * turns a failure no step expected into a 500 that reveals nothing.
   */
  guard(incoming: IncomingRequest, answer: () => Promise<Answer>): Promise<Answer>
  /** The 404 of a path that is none of the routes. */
  notFound(incoming: IncomingRequest): Refusal
  /** A refusal with the CORS headers of the request's origin. */
  refuse(incoming: IncomingRequest, r: Refusal): Answer
  /**
   * `undefined` when the request has `method`; otherwise the answer: a CORS preflight, or a 405.
   */
  checkMethod(incoming: IncomingRequest, method: 'GET' | 'POST'): Answer | undefined
  /**
   * Asks `authorize` about a conversation (an AI SDK chat, an AG-UI thread) before anything is
   * looked up for it, with the name of its pointer stream (`chat-run:<chatId>`,
   * `agent-thread:<threadId>`): `undefined` when allowed, otherwise the answer. So a caller who
   * may not see a conversation cannot learn from a 204 or a 404 whether it has a run.
   */
  authorizeConversation(
    incoming: IncomingRequest,
    pointer: string,
    action: 'watch' | 'cancel',
  ): Promise<Answer | undefined>
  /**
   * The stream of a conversation's active run (`stream`, from its pointer), served with
   * `location`: 204 when it has none, or when it has finished and the request has no cursor
   * (there is nothing to attach to); otherwise the run after the cursor, or from its start.
   */
  active(
    incoming: IncomingRequest,
    stream: string | undefined,
    location: string | undefined,
  ): Promise<Answer>
}

/**
 * The routes' shared steps for a protocol adapter on `pipeline`.
 * @param methods - the methods its routes serve, for a preflight's answer
 */
export function protocolRoutes(
  manager: StreamManager,
  pipeline: HandlerPipeline,
  options: ResolvedSseOptions,
  methods: string,
): ProtocolRoutes {
  const routes: ProtocolRoutes = {
    async guard(incoming, answer) {
      if (hasDotSegmentOrBackslash(incoming.target)) {
        return routes.refuse(
          incoming,
          refusal(
            400,
            'invalid_path',
            'The path has a dot segment ("." or "..", also as %2e) or a backslash: use the route as it is.',
          ),
        )
      }
      try {
        return await answer()
      } catch (error) {
        return routes.refuse(incoming, internalFailure(options, error))
      }
    },
    notFound: (incoming) => noRoute(incoming, options),
    refuse(incoming, r) {
      const cors = corsHeaders(options.cors, incoming.header('origin'))
      return {
        kind: 'refuse',
        refusal: cors === undefined ? r : { ...r, headers: { ...r.headers, ...cors } },
      }
    },
    checkMethod(incoming, method) {
      const { cors } = options
      const origin = incoming.header('origin')
      if (incoming.method === 'OPTIONS' && cors !== undefined) {
        if (!isOriginAllowed(cors, origin)) {
          return routes.refuse(
            incoming,
            refusal(403, 'forbidden', 'This origin may not use these routes.', undefined, {
              vary: 'Origin',
            }),
          )
        }
        return { kind: 'empty', headers: preflightHeaders(cors, origin, methods) }
      }
      if (incoming.method === method || (method === 'GET' && incoming.method === 'HEAD')) {
        return undefined
      }
      return routes.refuse(
        incoming,
        refusal(405, 'method_not_allowed', `This route is served with ${method}.`, undefined, {
          allow: cors === undefined ? method : `${method}, OPTIONS`,
        }),
      )
    },
    async authorizeConversation(incoming, pointer, action) {
      const denied = await checkAuthorized(options, incoming, pointer, action)
      if (denied === undefined) return undefined
      return denied instanceof Response
        ? { kind: 'response', response: denied }
        : routes.refuse(incoming, denied)
    },
    async active(incoming, stream, location) {
      const cursor = incoming.header('last-event-id')?.trim()
      if (stream !== undefined && (cursor === undefined || cursor === '')) {
        let finished: boolean
        try {
          finished = (await manager.store.read(stream, { limit: 0 })).finished
        } catch (error) {
          options.onError(
            new RunstreamError(
              'store_failed',
              `The event store could not be read for "${stream}".`,
              {
                cause: error,
                details: { stream },
              },
            ),
          )
          return routes.refuse(
            incoming,
            refusal(
              503,
              'store_failed',
              'The event store is unavailable. Retry later.',
              undefined,
              {
                'retry-after': '5',
              },
            ),
          )
        }
        if (finished) stream = undefined
      }
      if (stream === undefined) {
        return {
          kind: 'empty',
          headers: { ...corsHeaders(options.cors, incoming.header('origin')) },
        }
      }
      return pipeline.serve(incoming, stream, location)
    },
  }
  return routes
}
