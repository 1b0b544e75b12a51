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

/** How many timers the process has active now (intervals and timeouts). */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length
}
