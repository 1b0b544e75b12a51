import type { AnyCatalog } from '../core/catalog.js'
import { RunstreamError } from '../core/errors.js'
import type { StreamHandle } from '../core/manager.js'
import { drain, type EventSource, settleRun } from '../server/produce.js'
import type { AgUiCatalog } from './catalog.js'

/** An AG-UI event as a producer gives it: an object with the event's `type`. */
export interface AgUiEventLike {
  /** The event's type, such as `TEXT_MESSAGE_CONTENT`. */
  readonly type: string
}

/** What {@link produceAgUiRun} needs of a started run. */
export interface AgUiRunTarget {
  readonly stream: StreamHandle<AgUiCatalog>
  readonly signal: AbortSignal
  /** The manager's catalog: its cancellation event ends a cancelled run. */
  readonly catalog: AnyCatalog
  /** The AG-UI thread and run, for the events runstream adds. */
  readonly threadId: string
  readonly runId: string
}

const TERMINAL = new Set(['RUN_FINISHED', 'RUN_ERROR'])

/**
 * Emits a producer's AG-UI events into a run's stream, making it a stream every AG-UI client
 * accepts: a `RUN_STARTED` first (added when the producer's first event is another one), and
 * exactly one terminal event last. The producer ending without one gets `RUN_FINISHED`; a
 * producer that fails gets `RUN_ERROR` (`agent_failed`, no detail; the error goes to `report`);
 * a cancelled run whose producer stops gets the catalog's cancellation event at once rather than
 * after the grace period. Events after the terminal one are not read.
 */
export async function produceAgUiRun(
  target: AgUiRunTarget,
  source: EventSource<AgUiEventLike>,
  report: (error: RunstreamError) => void,
): Promise<void> {
  const { stream, threadId, runId } = target
  const emit = (event: AgUiEventLike) => stream.emit(event.type as 'RUN_STARTED', event as never)
  let started = false
  const outcome = await drain(source, (event) => {
    if (stream.finished) return false
    if (typeof event !== 'object' || event === null || typeof event.type !== 'string') {
      report(
        new RunstreamError(
          'validation_failed',
          `The agent of run "${runId}" gave ${event === null ? 'null' : typeof event} where an AG-UI event (an object with a type) belongs; it was skipped.`,
          { details: { stream: stream.name } },
        ),
      )
      return true
    }
    if (!started && event.type !== 'RUN_STARTED' && event.type !== 'RUN_ERROR') {
      emit({ type: 'RUN_STARTED', threadId, runId } as AgUiEventLike)
    }
    started = true
    emit(event)
    return !TERMINAL.has(event.type)
  })
  const over = settleRun(
    target,
    outcome,
    report,
    (why) => `The agent of run "${runId}" failed: ${why}. Its stream ends with RUN_ERROR.`,
  )
  if (over) return
  if (outcome.kind === 'failed' || outcome.kind === 'stopped') {
    // Stopped without being finished: the terminal event the agent gave was invalid (reported).
    emit({ type: 'RUN_ERROR', message: 'The agent failed.', code: 'agent_failed' } as AgUiEventLike)
    return
  }
  if (!started) emit({ type: 'RUN_STARTED', threadId, runId } as AgUiEventLike)
  emit({ type: 'RUN_FINISHED', threadId, runId } as AgUiEventLike)
}
