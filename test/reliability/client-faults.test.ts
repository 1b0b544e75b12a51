import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { connect, type RunstreamError } from '../../src/client.js'
import { executionCatalog } from '../../src/index.js'
import { createFaultServer, type FaultAnswer, type FaultEvent } from '../../src/testing.js'
import { collect, range } from './harness.js'

// The runstream client against a server that misbehaves at random, attempt after attempt: every
// fault the fault kit scripts, in any order, with the bytes cut anywhere. Whatever happened, the
// client ends with every event once and in order, and never gives up.

const COUNT = 30

/** The stream the server holds: COUNT chunks, then `complete`, as a runstream server frames them. */
const EVENTS: FaultEvent[] = [
  ...range(1, COUNT).map((n) => envelope(n, 'llm_chunk', { text: `chunk ${n} é🚀\r\n` })),
  envelope(COUNT + 1, 'complete', { status: 'SUCCESS' }),
]

function envelope(id: number, type: string, data: unknown): FaultEvent {
  const ts = '2026-01-01T00:00:00.000Z'
  return {
    id: String(id),
    event: type,
    data: { id: String(id), type, stream: 'workflow:w1', ts, data },
  }
}

/** One attempt's fault: an error answer, or part of the stream ending badly. */
type Fault =
  | { kind: 'status'; status: 429 | 500 | 502 | 503 }
  | { kind: 'refuse' }
  | {
      kind: 'stream'
      /** How many events past the cursor this attempt sends (it never reaches the terminal). */
      take: number
      /** How many events before the cursor it sends again, as a server that ignores part of it. */
      overlap: number
      split: number | 'every-byte' | number[]
      end: 'close' | 'destroy' | 'destroy-mid-event' | 'hang' | { cutAfterBytes: number }
    }

const fault: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ kind: fc.constant('status' as const), status: fc.constantFrom(429, 500, 502, 503) }),
  fc.record({ kind: fc.constant('refuse' as const) }),
  fc.record({
    kind: fc.constant('stream' as const),
    take: fc.nat({ max: 12 }),
    overlap: fc.nat({ max: 3 }),
    split: fc.oneof(
      fc.integer({ min: 1, max: 64 }),
      fc.constant('every-byte' as const),
      fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 5 }),
    ),
    end: fc.oneof(
      fc.constantFrom(
        'close' as const,
        'destroy' as const,
        'destroy-mid-event' as const,
        'hang' as const,
      ),
      fc.record({ cutAfterBytes: fc.nat({ max: 2000 }) }),
    ),
  }),
)

/** The answer to an attempt resuming after `cursor`, given its fault (none: the rest, cleanly). */
function answerFor(cursor: number, planned: Fault | undefined): FaultAnswer {
  if (planned === undefined) {
    return { kind: 'stream', events: EVENTS.slice(cursor), split: 7, end: 'close' }
  }
  if (planned.kind === 'status') {
    return { kind: 'status', status: planned.status, headers: { 'retry-after': '0' } }
  }
  if (planned.kind === 'refuse') return { kind: 'refuse' }
  const from = Math.max(0, cursor - planned.overlap)
  // Never the terminal event: a fault attempt must not end the stream.
  const events = EVENTS.slice(from, Math.min(COUNT, cursor + planned.take))
  const end = planned.end
  return typeof end === 'object'
    ? {
        kind: 'stream',
        prelude: 'retry: 1\n: ok\n\n',
        events,
        split: planned.split,
        cutAfterBytes: end.cutAfterBytes,
      }
    : { kind: 'stream', prelude: 'retry: 1\n: ok\n\n', events, split: planned.split, end }
}

describe('a server that fails at random, attempt after attempt', () => {
  it('still gets every event to the client once and in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fault, { minLength: 1, maxLength: 6 }), async (schedule) => {
        const server = await createFaultServer({
          answers: (request) =>
            answerFor(Number(request.lastEventId ?? 0), schedule[request.attempt - 1]),
        })
        try {
          const errors: RunstreamError[] = []
          const events = await collect(
            connect(`${server.url}/api/v0/executions/workflows/w1/stream`, {
              catalog: executionCatalog,
              idleTimeoutMs: 100,
              reconnect: { initialDelayMs: 1, maxDelayMs: 5, jitter: false, maxRetries: 50 },
              onError: (error) => errors.push(error),
            }),
          )
          expect(events.map((event) => Number(event.id))).toEqual(range(1, COUNT + 1))
          expect(events[0]?.data).toEqual({ text: 'chunk 1 é🚀\r\n' })
          expect(events.at(-1)?.type).toBe('complete')
          // Each attempt resumed after the last event the client had when it was cut.
          for (const request of server.requests.slice(1)) {
            expect(request.lastEventId === undefined || Number(request.lastEventId) <= COUNT).toBe(
              true,
            )
          }
          expect(server.requests.length).toBeGreaterThanOrEqual(schedule.length + 1)
          expect(
            errors.every((error) => !['parse_error', 'retries_exhausted'].includes(error.code)),
          ).toBe(true)
        } finally {
          await server.close()
        }
      }),
      { numRuns: 30 },
    )
  }, 60_000)
})
