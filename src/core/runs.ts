import type { AnyCatalog } from './catalog.js'
import { RunstreamError } from './errors.js'
import {
  checkName,
  checkReason,
  checkStart,
  closedError,
  existsError,
  freshRunId,
  storeError,
} from './run-checks.js'
import type { EventStore, RunState, Unlisten } from './store.js'

export { freshRunId, isRunId, isRunKind } from './run-checks.js'

/**
 * The kind of a run: the first part of its stream's name (`workflow` in `workflow:exec_42`).
 * The built-in routes serve `workflow`, `agent` and `task`; any name of letters, digits, `_` and
 * `-` works for routes of your own (`chat`, …).
 */
export type RunKind = 'workflow' | 'agent' | 'task' | (string & {})

/** Options of `manager.startRun`. */
export interface StartRunOptions {
  /**
   * The run's id, when the app chooses it: 1 to 128 characters among letters, digits and
   * `_ . : @ ~ + = -`, not starting with a dot and without `..` (what a route's path can carry).
   * A stream that already exists under this id is refused with `run_exists`.
   * @defaultValue a fresh random id of 22 URL-safe characters
   */
  id?: string
}

/**
 * What a cancellation found (`manager.cancelRun`): `'canceled'` when a run was running and every
 * process was told (its producer's signal aborts, and its stream ends within `cancelGraceMs`),
 * `'finished'` when it had already ended, `'unknown'` when no such run or stream exists.
 */
export type CancelOutcome = 'canceled' | 'finished' | 'unknown'

/** The emitting side of a stream, as the runs engine uses it. */
export interface RunHandle {
  readonly finished: boolean
  emit(type: string, data?: unknown): void
}

/** A started run, as the engine returns it; the manager types its handle by the catalog. */
export interface StartedRun<H extends RunHandle> {
  readonly id: string
  readonly kind: string
  readonly name: string
  readonly stream: H
  readonly signal: AbortSignal
}

/** What the runs engine needs from its manager. */
export interface RunsOptions<H extends RunHandle> {
  readonly store: EventStore
  readonly catalog: AnyCatalog
  /** How long a cancelled run's producer has to end its stream before runstream ends it. */
  readonly graceMs: number
  /** The emitting handle of a stream (`manager.stream`). */
  handle(name: string): H
  report(error: RunstreamError): void
}

/** The runs of one manager: those it started, and the cancellations it waits on. */
export interface Runs<H extends RunHandle> {
  start(kind: string, options: StartRunOptions | undefined): Promise<StartedRun<H>>
  cancel(name: string, reason: string | undefined): Promise<CancelOutcome>
  /**
   * A terminal event of `name` was emitted here: `appended` settles once it is stored, and is
   * `undefined` when the store refused it at once.
   */
  terminal(name: string, appended: unknown): void
  /** The store refused an append of `name` as finished: another process ended the stream. */
  refused(name: string): void
  /** Ends the grace timers and the cancellation listener; aborts the runs still live here. */
  close(): Promise<void>
}

type StoreRunMethods = Required<Pick<EventStore, 'createRun' | 'cancelRun' | 'onCancel'>>

/**
 * How many runs one manager follows at once (started here, not ended yet). Past it, the oldest no
 * longer hears cancellations in this process; its stream is still ended after the grace period.
 */
export const MAX_LIVE_RUNS = 100_000

/**
 * Creates the runs engine of a manager. A run is a claimed stream, plus an `AbortController` in
 * the process that started it; the store carries cancellations between processes. Whoever
 * learns of a cancellation (the process that called `cancelRun`, and the one running the
 * producer) waits `graceMs`, then ends the stream with the catalog's cancellation event if it
 * is still open, so a run whose producer process died still ends; the store refuses the second
 * of two such events.
 */
export function createRuns<H extends RunHandle>(options: RunsOptions<H>): Runs<H> {
  const { store, catalog, graceMs, report } = options
  const live = new Map<string, AbortController>()
  const graces = new Map<string, ReturnType<typeof setTimeout>>()
  // The streams whose cancellation event is being emitted here, while emit() runs.
  const ending = new Set<string>()
  let listening: Promise<Unlisten> | undefined
  let closed = false

  return {
    start(kind, startOptions) {
      // Misuse throws here, synchronously; what the store says rejects.
      const id = checkStart(kind, startOptions)
      const methods = supported('startRun')
      return claim(methods, kind, id ?? freshRunId())
    },
    cancel(name, reason) {
      checkName('cancelRun', name)
      const why = checkReason(reason)
      const { cancelRun } = supported('cancelRun')
      let sent: RunState | Promise<RunState>
      try {
        sent = cancelRun.call(store, name, why)
      } catch (error) {
        return Promise.reject(storeError(`cancel run "${name}"`, error, name))
      }
      return Promise.resolve(sent).then(
        (state) => {
          if (state !== 'running') return state
          // This process may run the producer too: tell it now, not through the store's echo.
          abort(name, why)
          startGrace(name, why)
          return 'canceled'
        },
        (error: unknown) => {
          throw storeError(`cancel run "${name}"`, error, name)
        },
      )
    },
    terminal(name, appended) {
      const controller = live.get(name)
      if (controller !== undefined) live.delete(name)
      // Ours: a run started here, or one whose cancellation event this process emits.
      const claimed = controller !== undefined || ending.delete(name)
      if (!claimed && !graces.has(name)) return
      // A grace timer of this run stays until the terminal event is stored: if it is not, the
      // timer still ends the stream.
      const stored =
        appended === undefined
          ? Promise.resolve(false)
          : Promise.resolve(appended).then(
              () => true,
              () => false,
            )
      void stored.then((ok) => {
        if (ok) clearGrace(name)
        if (claimed) endClaim(name)
      })
    },
    refused(name) {
      clearGrace(name)
      if (!live.has(name)) return
      abort(name, 'Its stream was ended by another process.')
      live.delete(name)
      endClaim(name)
    },
    async close() {
      closed = true
      for (const timer of graces.values()) clearTimeout(timer)
      graces.clear()
      for (const [name, controller] of live) {
        controller.abort(
          new RunstreamError('aborted', `Run "${name}" was stopped: its manager was closed.`, {
            details: { stream: name },
          }),
        )
      }
      live.clear()
      const registration = listening
      listening = undefined
      if (registration === undefined) return
      try {
        ;(await registration)()
      } catch {
        // The registration failed: nothing to release.
      }
    },
  }

  async function claim(methods: StoreRunMethods, kind: string, id: string): Promise<StartedRun<H>> {
    if (closed) throw closedError()
    const name = `${kind}:${id}`
    const { createRun } = methods
    if (live.has(name)) throw existsError(name)
    await listen(methods)
    if (closed) throw closedError()
    if (live.has(name)) throw existsError(name)
    // Live before the claim: a cancellation that comes right after the claim finds the run.
    const controller = new AbortController()
    live.set(name, controller)
    if (live.size > MAX_LIVE_RUNS) {
      // The oldest run no longer hears cancellations here; its stream still ends by grace.
      live.delete(live.keys().next().value as string)
    }
    let created: boolean
    try {
      created = await createRun.call(store, name)
    } catch (error) {
      if (live.get(name) === controller) live.delete(name)
      throw storeError(`start run "${name}"`, error, name)
    }
    if (!created) {
      if (live.get(name) === controller) live.delete(name)
      throw existsError(name)
    }
    return { id, kind, name, stream: options.handle(name), signal: controller.signal }
  }

  function listen({ onCancel }: StoreRunMethods): Promise<Unlisten> {
    if (listening !== undefined) return listening
    const registration = Promise.resolve(onCancel.call(store, onCancelled))
    listening = registration
    // A failed registration is tried again by the next startRun.
    registration.catch(() => {
      if (listening === registration) listening = undefined
    })
    return registration.catch((error: unknown) => {
      throw storeError('listen for cancellations', error, undefined)
    })
  }

  function onCancelled(name: string, reason: string): void {
    if (closed || !live.has(name)) return
    abort(name, reason)
    startGrace(name, reason)
  }

  function abort(name: string, reason: string): void {
    const controller = live.get(name)
    if (controller === undefined || controller.signal.aborted) return
    controller.abort(
      new RunstreamError('run_canceled', `Run "${name}" was canceled: ${reason}`, {
        details: { stream: name, reason },
      }),
    )
  }

  function startGrace(name: string, reason: string): void {
    if (closed || graces.has(name)) return
    graces.set(
      name,
      setTimeout(() => {
        graces.delete(name)
        void endIfOpen(name, reason)
      }, graceMs),
    )
  }

  function clearGrace(name: string): void {
    const timer = graces.get(name)
    if (timer === undefined) return
    clearTimeout(timer)
    graces.delete(name)
  }

  /** Ends a cancelled run's stream with the catalog's cancellation event, unless it has ended. */
  async function endIfOpen(name: string, reason: string): Promise<void> {
    const handle = options.handle(name)
    if (closed) return
    if (handle.finished) {
      live.delete(name)
      return
    }
    try {
      if ((await store.read(name, { limit: 0 })).finished) {
        // Ended by its producer, or by another process: this process follows it no more.
        live.delete(name)
        return
      }
    } catch (error) {
      report(storeError(`end canceled run "${name}"`, error, name))
      return
    }
    if (closed || handle.finished) return
    const made = catalog.cancel?.(reason)
    if (made === undefined || !catalog.isTerminal(made.type)) {
      report(
        new RunstreamError(
          'run_canceled',
          made === undefined
            ? `Run "${name}" was canceled and its producer did not end its stream within cancelGraceMs (${graceMs} ms). The catalog declares no cancellation event (defineCatalog's \`cancel\` option), so the stream stays open until its producer ends it or it expires.`
            : `Run "${name}" was canceled and its producer did not end its stream within cancelGraceMs (${graceMs} ms). The catalog's \`cancel\` returned "${made.type}", which is not a terminal event, so nothing was sent. Return a terminal event.`,
          { details: { stream: name, reason } },
        ),
      )
      return
    }
    // Its claim goes once the event is stored (see terminal()).
    ending.add(name)
    handle.emit(made.type, made.data)
    ending.delete(name)
  }

  function endClaim(name: string): void {
    if (store.endRun === undefined) return
    try {
      void Promise.resolve(store.endRun(name)).catch((error: unknown) =>
        report(storeError(`end the claim of run "${name}"`, error, name)),
      )
    } catch (error) {
      report(storeError(`end the claim of run "${name}"`, error, name))
    }
  }

  function supported(method: 'startRun' | 'cancelRun'): StoreRunMethods {
    const { createRun, cancelRun, onCancel } = store
    if (
      typeof createRun !== 'function' ||
      typeof cancelRun !== 'function' ||
      typeof onCancel !== 'function'
    ) {
      throw new TypeError(
        `${method}: the manager's store does not support runs: it needs createRun(), cancelRun() and onCancel() (see EventStore). memoryStore() and redisStore() have them.`,
      )
    }
    return { createRun, cancelRun, onCancel }
  }
}
