import { fileURLToPath } from 'node:url'
import {
  createStreamManager,
  type EventStore,
  executionCatalog,
  type MemoryStoreOptions,
  memoryStore,
  type RunstreamError,
  type StoreListener,
  type StreamManager,
} from '../../src/index.js'

/** A store that counts its live registrations, and can fail reads or live delivery on demand. */
export interface ProbeStore extends EventStore {
  /** Registrations made with `listen` and not yet stopped. */
  readonly listening: number
  /** Makes every later `read` throw. */
  failReads(error?: Error): void
  /** Tells every live registration that the store failed (as a lost Redis connection would). */
  breakLive(error?: Error): void
}

/** Wraps a memory store in a {@link ProbeStore}. */
export function probeStore(options: MemoryStoreOptions = {}): ProbeStore {
  const inner = memoryStore(options)
  const active = new Set<StoreListener>()
  let readError: Error | undefined
  return {
    get listening() {
      return active.size
    },
    append: (draft) => inner.append(draft),
    read(stream, readOptions) {
      if (readError !== undefined) throw readError
      return inner.read(stream, readOptions)
    },
    listen(stream, listener) {
      active.add(listener)
      const stop = inner.listen(stream, listener)
      return () => {
        active.delete(listener)
        stop()
      }
    },
    failReads(error = new Error('connection refused to 10.0.0.7:6379 (secret-host)')) {
      readError = error
    },
    breakLive(error = new Error('socket hang up at secret-host')) {
      for (const listener of [...active]) {
        active.delete(listener)
        listener.error?.(error)
      }
    },
  }
}

/** A manager of the execution catalog on a {@link ProbeStore}, collecting its errors. */
export function testManager(storeOptions: MemoryStoreOptions = {}): {
  manager: StreamManager<typeof executionCatalog>
  store: ProbeStore
  errors: RunstreamError[]
} {
  const store = probeStore(storeOptions)
  const errors: RunstreamError[] = []
  const manager = createStreamManager({
    catalog: executionCatalog,
    store,
    onError: (error) => errors.push(error),
  })
  return { manager, store, errors }
}

const SOURCE = fileURLToPath(new URL('../../src/', import.meta.url))

/** The timers runstream's own code started while a {@link trackTimers} was on. */
export interface TimerTracker {
  /** Those not yet done: timeouts neither fired nor cleared, intervals not cleared. */
  readonly active: number
  /** Puts back the global timer functions. Idempotent. */
  stop(): void
}

/**
 * Counts the timers that code under `src/` starts (its caller is in the call stack), and not
 * those of the test runner, of Node's own modules or of other tests in the process: a count of
 * the process's timers goes up and down with whatever else runs. Only what is started after this
 * call is counted; a timer re-armed with `refresh()` after it fired is not seen.
 */
export function trackTimers(): TimerTracker {
  const real = {
    setTimeout: globalThis.setTimeout,
    setInterval: globalThis.setInterval,
    clearTimeout: globalThis.clearTimeout,
    clearInterval: globalThis.clearInterval,
  }
  const active = new Set<unknown>()
  const ours = () => new Error().stack?.includes(SOURCE) === true
  type Callback = (...args: unknown[]) => void
  globalThis.setTimeout = ((callback: Callback, ms?: number, ...args: unknown[]) => {
    if (!ours()) return real.setTimeout(callback, ms, ...args)
    const timer = real.setTimeout(
      (...given: unknown[]) => {
        active.delete(timer)
        callback(...given)
      },
      ms,
      ...args,
    )
    active.add(timer)
    return timer
  }) as typeof setTimeout
  globalThis.setInterval = ((callback: Callback, ms?: number, ...args: unknown[]) => {
    const timer = real.setInterval(callback, ms, ...args)
    if (ours()) active.add(timer)
    return timer
  }) as typeof setInterval
  const clear = (timer: unknown) => active.delete(timer)
  globalThis.clearTimeout = ((timer) => {
    clear(timer)
    real.clearTimeout(timer)
  }) as typeof clearTimeout
  globalThis.clearInterval = ((timer) => {
    clear(timer)
    real.clearInterval(timer)
  }) as typeof clearInterval
  return {
    get active() {
      return active.size
    },
    stop() {
      Object.assign(globalThis, real)
    },
  }
}
