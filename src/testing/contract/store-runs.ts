import assert from 'node:assert/strict'
import { isRunstreamError, type RunstreamError } from '../../core/errors.js'
import { createStreamManager } from '../../core/manager.js'
import { isRunId } from '../../core/runs.js'
import type { EventStore } from '../../core/store.js'
import { contractCatalog } from './catalog.js'
import { type ContractCheck, within } from './check.js'

/** What a run check gets: the store under test. */
export interface RunCheckContext {
  readonly store: EventStore
}

/** Makes a named check that gets a fresh store. */
export type RunCheckMaker = (
  name: string,
  body: (context: RunCheckContext) => Promise<void>,
) => ContractCheck

const WAIT_MS = 10_000
// Long enough that a grace period never ends a stream while a check looks at it.
const NEVER_MS = 60_000

let unique = 0
// An id no other check (or earlier run against a shared server) has used.
function freshId(): string {
  unique++
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}-${unique}`
}

/**
 * The runs part of the store contract: claims (`createRun`), cancellations between managers
 * (`cancelRun`, `onCancel`) and the end of a cancelled run, through two managers on one store as
 * two processes would use it. A store without `createRun` has no runs: these checks then pass
 * without checking anything (`manager.startRun` refuses such a store with a `TypeError`).
 */
export function runChecks(check: RunCheckMaker): ContractCheck[] {
  return [
    check('runs: claims a run once, in any process, and never a stream that exists', async (c) => {
      if (!supportsRuns(c.store)) return
      const a = managerOn(c.store, NEVER_MS)
      const b = managerOn(c.store, NEVER_MS)
      const id = freshId()
      const run = await a.manager.startRun('contract', { id })
      assert.equal(run.id, id)
      assert.equal(run.name, `contract:${id}`)
      assert.equal(run.stream.name, run.name)
      assert.equal(run.signal.aborted, false)
      for (const manager of [a.manager, b.manager]) {
        await assert.rejects(manager.startRun('contract', { id }), (error) =>
          isRunstreamError(error, 'run_exists'),
        )
      }
      const existing = freshId()
      a.manager.stream(`contract:${existing}`).emit('note', { text: 'x', n: 1 })
      await a.manager.flush()
      await assert.rejects(b.manager.startRun('contract', { id: existing }), (error) =>
        isRunstreamError(error, 'run_exists'),
      )
      const [first, second] = await Promise.all([
        a.manager.startRun('contract'),
        b.manager.startRun('contract'),
      ])
      assert.ok(isRunId(first.id) && isRunId(second.id))
      assert.notEqual(first.id, second.id)
    }),

    check('runs: a cancellation from another manager aborts the producer’s signal', async (c) => {
      if (!supportsRuns(c.store)) return
      const producer = managerOn(c.store, NEVER_MS)
      const canceller = managerOn(c.store, NEVER_MS)
      const run = await producer.manager.startRun('contract')
      run.stream.emit('note', { text: 'x', n: 1 })
      await producer.manager.flush()
      const aborted = new Promise<void>((resolve) =>
        run.signal.addEventListener('abort', () => resolve(), { once: true }),
      )
      assert.equal(await canceller.manager.cancelRun(run.name, 'Stopped.'), 'canceled')
      await within(aborted, WAIT_MS, 'abort of the producer’s signal')
      assert.ok(isRunstreamError(run.signal.reason, 'run_canceled'))
      assert.equal((run.signal.reason as RunstreamError).details?.reason, 'Stopped.')
      // The producer ends its run itself; a cancellation then finds it finished.
      run.stream.emit('done', { ok: false })
      await producer.manager.flush()
      assert.equal(await canceller.manager.cancelRun(run.name), 'finished')
      assert.deepEqual(producer.errors, [])
      assert.deepEqual(canceller.errors, [])
    }),

    check(
      'runs: a cancelled run whose producer is gone ends with the catalog’s cancellation event, once',
      async (c) => {
        if (!supportsRuns(c.store)) return
        // The producer never acts on the cancellation, as one whose process died.
        const producer = managerOn(c.store, NEVER_MS)
        const canceller = managerOn(c.store, 20)
        const run = await producer.manager.startRun('contract')
        run.stream.emit('note', { text: 'x', n: 1 })
        await producer.manager.flush()
        const seen = collect(canceller.manager.subscribe({ stream: run.name }))
        assert.equal(await canceller.manager.cancelRun(run.name, 'Gone.'), 'canceled')
        // Twice is harmless.
        assert.equal(await canceller.manager.cancelRun(run.name, 'Gone again.'), 'canceled')
        const events = await within(seen, WAIT_MS, 'the end of the cancelled run')
        assert.deepEqual(
          events.map((event) => [event.id, event.type, event.data]),
          [
            ['1', 'note', { text: 'x', n: 1 }],
            ['2', 'done', { ok: false }],
          ],
        )
        await canceller.manager.flush()
        // A late event of the producer is refused and reported, never stored.
        run.stream.emit('note', { text: 'late', n: 2 })
        await producer.manager.flush()
        assert.deepEqual(
          producer.errors.map((error) => error.code),
          ['stream_finished'],
        )
        const read = await c.store.read(run.name)
        assert.equal(read.lastId, '2')
        assert.equal(read.finished, true)
        assert.equal(run.signal.aborted, true)
        assert.equal(await canceller.manager.cancelRun(run.name), 'finished')
      },
    ),

    check('runs: tells an unknown run from a claimed one and from a finished one', async (c) => {
      if (!supportsRuns(c.store)) return
      const a = managerOn(c.store, NEVER_MS)
      const b = managerOn(c.store, NEVER_MS)
      assert.equal(await b.manager.cancelRun(`contract:${freshId()}`), 'unknown')
      // Claimed, with no event yet: it exists.
      const quiet = await a.manager.startRun('contract')
      assert.equal(await b.manager.cancelRun(quiet.name), 'canceled')
      const ended = await a.manager.startRun('contract')
      ended.stream.emit('done', { ok: true })
      await a.manager.flush()
      assert.equal(await b.manager.cancelRun(ended.name), 'finished')
      assert.equal(ended.signal.aborted, false)
    }),
  ]
}

function supportsRuns(store: EventStore): boolean {
  return (
    typeof store.createRun === 'function' &&
    typeof store.cancelRun === 'function' &&
    typeof store.onCancel === 'function'
  )
}

// A manager on a store it does not own: the harness closes the store, not the manager.
function managerOn(store: EventStore, cancelGraceMs: number) {
  const errors: RunstreamError[] = []
  const manager = createStreamManager({
    catalog: contractCatalog,
    store,
    cancelGraceMs,
    onError: (error) => errors.push(error),
  })
  return { manager, errors }
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}
