import type { AnyCatalog } from '../core/catalog.js'
import { RunstreamError } from '../core/errors.js'
import type { StreamHandle } from '../core/manager.js'
import { drain, type EventSource, settleRun } from '../server/produce.js'
import type { UiMessageCatalog } from './catalog.js'

/** A UI message chunk as a producer gives it: an object with the chunk's `type`. */
export interface UiMessageChunkLike {
  /** The chunk's type, such as `text-delta`. */
  readonly type: string
}

/** What {@link produceChatRun} needs of a started run. */
export interface ChatRunTarget {
  // biome-ignore lint/suspicious/noExplicitAny: any data parts
  readonly stream: StreamHandle<UiMessageCatalog<any>>
  readonly signal: AbortSignal
  /** The manager's catalog: its declared `data-*` parts, its cancellation event. */
  readonly catalog: AnyCatalog
}

const TERMINAL = new Set(['finish', 'abort'])

/**
 * Emits a producer's UI message chunks into a run's stream, ending it with exactly one terminal
 * chunk: the producer ending without `finish` or `abort` gets `finish`; a producer that fails
 * gets an `error` chunk with the AI SDK's masked text ("An error occurred.", the error itself
 * goes to `report`) and `finish` with reason `error`; a cancelled run whose producer stops gets
 * `abort` at once rather than after the grace period. Chunks after the terminal one are not read.
 */
export async function produceChatRun(
  target: ChatRunTarget,
  source: EventSource<UiMessageChunkLike>,
  report: (error: RunstreamError) => void,
): Promise<void> {
  const { stream } = target
  const emit = (chunk: UiMessageChunkLike) => stream.emit(chunk.type as 'finish', chunk as never)
  const outcome = await drain(source, (chunk) => {
    if (stream.finished) return false
    if (typeof chunk !== 'object' || chunk === null || typeof chunk.type !== 'string') {
      report(
        new RunstreamError(
          'validation_failed',
          `The chat run "${stream.name}" gave ${chunk === null ? 'null' : typeof chunk} where a UI message chunk (an object with a type) belongs; it was skipped.`,
          { details: { stream: stream.name } },
        ),
      )
      return true
    }
    const type: string = chunk.type
    if (type.startsWith('data-') && !(target.catalog.has(type) as boolean)) {
      report(
        new RunstreamError(
          'unknown_event',
          `The chat run "${stream.name}" gave a "${type}" chunk, which the catalog does not declare; it was not sent. Declare it: defineUiMessageCatalog({ data: { ${type.slice(5)}: schema } }).`,
          { details: { stream: stream.name, eventType: type } },
        ),
      )
      return true
    }
    emit(chunk)
    return !TERMINAL.has(chunk.type)
  })
  const over = settleRun(
    target,
    outcome,
    report,
    (why) => `The chat run "${stream.name}" failed: ${why}. Its stream ends with an error chunk.`,
  )
  if (over) return
  if (outcome.kind !== 'ended') {
    // Failed, or stopped without being finished: the terminal chunk it gave was invalid (reported).
    emit({ type: 'error', errorText: 'An error occurred.' } as UiMessageChunkLike)
    emit({ type: 'finish', finishReason: 'error' } as UiMessageChunkLike)
    return
  }
  emit({ type: 'finish' } as UiMessageChunkLike)
}
