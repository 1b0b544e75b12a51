import type { RunAgentInput } from '@ag-ui/core'
import { RunAgentInputSchema } from '@ag-ui/core/schemas'
import { safeParse } from 'zod/v4/core'
import type { StreamManager } from '../core/manager.js'
import { isRunId } from '../core/runs.js'
import {
  type AnsweringHandler,
  answeringHandler,
  type ProtocolHandler,
} from '../server/answering.js'
import { setUpProtocolHandler } from '../server/handler-setup.js'
import { type Refusal, refusal } from '../server/http-errors.js'
import type { IncomingRequest } from '../server/incoming.js'
import { readJson } from '../server/json-body.js'
import { checkManager, checkRunStore } from '../server/manager-check.js'
import type { ConnectionLimitOptions, RunRequestOptions, SseOptions } from '../server/options.js'
import { type EventSource, isEventSource } from '../server/produce.js'
import { answerRunCancel } from '../server/run-cancel.js'
import type { Answer } from '../server/stream-answer.js'
import { type AgUiCatalog, agUiCatalog } from './catalog.js'
import { type AgUiEventLike, produceAgUiRun } from './producer.js'
import { matchAgUiRoute, runStreamPath } from './routes.js'

/** What an agent is given besides its input. */
export interface AgUiRunContext {
  /**
   * Aborts when the run is cancelled, from any process sharing the store (a stop button, the
   * cancel route), or when the manager closes. Pass it on to the model call and stop.
   */
  readonly signal: AbortSignal
  /** The run's id: its stream is `agent:<id>`. The input's `runId` when it is a valid id. */
  readonly id: string
  /** The request that started the run (its headers tell the user). */
  readonly request: Request
}

/** The agent: from a `RunAgentInput`, the AG-UI events of its run. */
export type AgUiRun = (
  input: RunAgentInput,
  context: AgUiRunContext,
) => EventSource<AgUiEventLike> | Promise<EventSource<AgUiEventLike>>

/** Options of {@link createAgUiHandler}. */
export interface AgUiHandlerOptions
  extends Omit<SseOptions, 'framing' | 'protocol'>,
    ConnectionLimitOptions,
    RunRequestOptions {
  /**
   * The agent: called once per run with the `RunAgentInput` an AG-UI client posted, it returns
   * the run's events as an async iterable (an `async function*`), a `ReadableStream`, or an
   * Observable (what `AbstractAgent.run` returns, so an existing AG-UI agent's `run` fits).
   * runstream stores and streams them; the run goes on when the client leaves.
   *
   * A stream starts with `RUN_STARTED` and ends with one terminal event: runstream adds
   * `RUN_STARTED` when the first event is another one, `RUN_FINISHED` when the events end without
   * a terminal one, and `RUN_ERROR` (`agent_failed`, no detail; the error goes to `onError`) when
   * they fail. An event that does not pass `@ag-ui/core`'s schema is left out and reported.
   * A throw before the first event gets the client a 500.
   */
  run: AgUiRun
}

/**
 * Creates the Fetch handler of an AG-UI agent whose runs survive dropped connections, closed
 * tabs and restarted servers: the URL an AG-UI client (`HttpAgent`, `RunstreamAgent`,
 * CopilotKit) is pointed at. It answers wherever it is mounted.
 *
 * | request | answer |
 * | --- | --- |
 * | `POST {mount}` with a `RunAgentInput` | starts a run (`manager.startRun('agent')`) and streams it, with `Location: {mount}/runs/{runId}/stream` |
 * | `GET {mount}/runs/{runId}/stream` | the run's events after `Last-Event-ID` (all without it); 204 at the end of a finished run |
 * | `GET {mount}/threads/{threadId}/stream` | the thread's running run from its start (after `Last-Event-ID`), or 204 when it has none |
 * | `POST {mount}/runs/{runId}/cancel`, `POST {mount}/threads/{threadId}/cancel` | cancels the run (202), from any process |
 *
 * `authorize` is asked about the run's stream (`agent:<runId>`) and, on the thread routes, first
 * about the thread's pointer stream (`agent-thread:<threadId>`), before anything is looked up: a
 * caller who may not see a thread cannot learn whether it has a run.
 *
 * The stream is AG-UI's own SSE: each `data:` is an AG-UI event, `type` included, with runstream's
 * `id:` and `event:` lines, which `HttpAgent` ignores. A drop, a server shutting down or events the
 * store no longer holds are never a `data:` `HttpAgent` cannot read: they come as a `RUN_ERROR`
 * under `event: runstream.error` / `runstream.gap` (see `SseOptions.protocol`), from which
 * `RunstreamAgent` resumes.
 *
 * The manager must use {@link agUiCatalog} and a store with runs (`memoryStore`, `redisStore`).
 * Every option is checked here: a wrong value throws a `TypeError` that says the fix.
 *
 * @example
 * ```ts
 * const manager = createStreamManager({ catalog: agUiCatalog })
 * const agent = createAgUiHandler(manager, {
 *   run: async function* (input, { signal }) {
 *     yield { type: 'TEXT_MESSAGE_START', messageId: 'm1', role: 'assistant' }
 *     for await (const delta of model.stream(input.messages, { signal }))
 *       yield { type: 'TEXT_MESSAGE_CONTENT', messageId: 'm1', delta }
 *     yield { type: 'TEXT_MESSAGE_END', messageId: 'm1' }
 *   },
 * })
 * app.all('/api/agent/*', (c) => agent(c.req.raw)) // Hono; Node: toNodeHandler(agent)
 * ```
 * @see docs/ag-ui.md
 */
export function createAgUiHandler(
  manager: StreamManager<AgUiCatalog>,
  options: AgUiHandlerOptions,
): ProtocolHandler {
  const where = 'createAgUiHandler'
  checkManager(where, manager)
  checkRunStore(where, manager as StreamManager)
  if (manager.catalog !== (agUiCatalog as unknown)) {
    throw new TypeError(
      `${where}: the manager must use agUiCatalog (createStreamManager({ catalog: agUiCatalog })), whose events are AG-UI's.`,
    )
  }
  if (typeof options !== 'object' || options === null || typeof options.run !== 'function') {
    throw new TypeError(
      `${where}: pass { run }, the agent: (input, { signal }) => its AG-UI events (an async iterable, a ReadableStream or an Observable).`,
    )
  }
  const { run, ...rest } = options
  const {
    resolved,
    pipeline,
    conversations: threads,
    routes,
  } = setUpProtocolHandler(where, manager, { ...rest, protocol: 'ag-ui' }, 'agent-thread')
  const handler: AnsweringHandler = answeringHandler(pipeline, resolved, (incoming) =>
    routes.guard(incoming, () => answer(incoming)),
  )
  return handler

  async function answer(incoming: IncomingRequest): Promise<Answer> {
    const route = matchAgUiRoute(incoming.url.pathname)
    if (route.kind === 'invalid') {
      return routes.refuse(
        incoming,
        refusal(
          400,
          'invalid_stream_id',
          route.what === 'run'
            ? 'Invalid run id: use 1 to 128 characters among letters, digits and _ . : @ ~ + = -.'
            : 'Invalid thread id: use 1 to 256 characters without control characters.',
        ),
      )
    }
    const method = route.kind === 'start' || route.action === 'cancel' ? 'POST' : 'GET'
    const wrong = routes.checkMethod(incoming, method)
    if (wrong !== undefined) return wrong
    switch (route.kind) {
      case 'start':
        return start(incoming, route.mount)
      case 'run': {
        const stream = `agent:${route.id}`
        return route.action === 'cancel'
          ? answerRunCancel(manager, resolved, incoming, stream)
          : pipeline.serve(incoming, stream)
      }
      case 'thread': {
        const denied = await routes.authorizeConversation(
          incoming,
          threads.pointer(route.id),
          route.action === 'cancel' ? 'cancel' : 'watch',
        )
        if (denied !== undefined) return denied
        const stream = await threads.get(route.id)
        if (route.action === 'cancel') {
          return stream === undefined
            ? routes.refuse(incoming, noRun(route.id))
            : answerRunCancel(manager, resolved, incoming, stream)
        }
        const location =
          stream === undefined
            ? undefined
            : runStreamPath(route.mount, stream.slice('agent:'.length))
        return routes.active(incoming, stream, location)
      }
    }
  }

  async function start(incoming: IncomingRequest, mount: string): Promise<Answer> {
    const body = await readJson(incoming, resolved.runs.maxBodyBytes)
    if ('gone' in body) return { kind: 'gone' }
    if ('status' in body) return routes.refuse(incoming, body)
    const parsed = safeParse(RunAgentInputSchema, body.value)
    if (!parsed.success) {
      return routes.refuse(
        incoming,
        refusal(
          400,
          'invalid_body',
          `The body is not an AG-UI RunAgentInput: ${parsed.error.issues
            .slice(0, 3)
            .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
            .join('; ')}.`,
        ),
      )
    }
    const input = parsed.data as RunAgentInput
    return pipeline.startRun(incoming, {
      kind: 'agent',
      id: isRunId(input.runId) ? input.runId : undefined,
      location: (started) => runStreamPath(mount, started.id),
      input: { value: input },
      async start(started) {
        // The pointer first: a page reloaded once the first event is out finds the run.
        await threads.set(input.threadId, started.name)
        const source = await run(input, {
          signal: started.signal,
          id: started.id,
          request: started.request,
        })
        if (!isEventSource(source)) {
          throw new TypeError(
            `${where}: run must return an async iterable, a ReadableStream or an Observable of AG-UI events; it returned ${typeof source}.`,
          )
        }
        return produceAgUiRun(
          {
            stream: started.stream as never,
            signal: started.signal,
            catalog: manager.catalog,
            threadId: input.threadId,
            runId: input.runId,
          },
          source,
          resolved.onError,
        )
      },
    })
  }
}

function noRun(threadId: string): Refusal {
  return refusal(404, 'run_not_found', `Thread "${threadId.slice(0, 64)}" has no run.`)
}
