import type { IncomingRequest } from './incoming.js'
import { fetchIncoming } from './incoming.js'
import type { HandlerPipeline } from './pipeline.js'
import type { HandlerStats } from './registry.js'
import type { ResolvedSseOptions } from './settings.js'
import { answerResponse } from './sse-response.js'
import type { Answer } from './stream-answer.js'

/**
 * The key under which a handler of runstream keeps the function that decides its answers, for
 * `toNodeHandler` of `runstream/node` to write them straight to a Node response. One key for the
 * whole package, shared by every entry through the chunk that holds it.
 */
export const ANSWER: unique symbol = Symbol('runstream.answer')

/** A Fetch handler of one of runstream's protocol adapters (AG-UI, the AI SDK). */
export interface ProtocolHandler {
  /**
   * Answers a request of the protocol's routes.
   * @param server - what the runtime passes after the request, if anything (Bun's server)
   */
  (request: Request, server?: unknown): Promise<Response>
  /** What the open streams hold right now. */
  stats(): HandlerStats
  /**
   * Ends every open stream with a control event, so clients resume elsewhere, and answers new
   * requests with 503. Call it when the server shuts down.
   */
  close(): void
}

/** What a Node edge needs of a protocol handler: how it answers, and where failures go. */
export interface Answering {
  /** Decides the answer of a request; never rejects (a failure is a 500 answer). */
  answer(incoming: IncomingRequest): Promise<Answer>
  /** The handler's options, for the edge's own failures (`onError`). */
  readonly options: ResolvedSseOptions
}

/** A {@link ProtocolHandler} with what decides its answers. */
export interface AnsweringHandler extends ProtocolHandler {
  readonly [ANSWER]: Answering
}

/**
 * Makes the Fetch handler of a protocol adapter from the function that decides its answers
 * (which both edges share) and the pipeline that serves its streams.
 */
export function answeringHandler(
  pipeline: HandlerPipeline,
  options: ResolvedSseOptions,
  answer: (incoming: IncomingRequest) => Promise<Answer>,
): AnsweringHandler {
  const handler = async (request: Request, server?: unknown): Promise<Response> =>
    answerResponse(await answer(fetchIncoming(request)), request, server)
  return Object.assign(handler, {
    [ANSWER]: { answer, options },
    stats: () => pipeline.stats(),
    close: () => pipeline.close(),
  })
}

/** Whether `value` is a handler made by {@link answeringHandler}. */
export function isAnsweringHandler(value: unknown): value is AnsweringHandler {
  return (
    typeof value === 'function' &&
    typeof (value as Partial<AnsweringHandler>)[ANSWER]?.answer === 'function'
  )
}
