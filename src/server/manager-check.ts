import type { StreamManager } from '../core/manager.js'

/**
 * Refuses anything that is not a stream manager, at the call that was given it, rather than
 * failing at the first request.
 */
export function checkManager(where: string, manager: StreamManager): void {
  const candidate = manager as Partial<StreamManager> | null | undefined
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.subscribe !== 'function' ||
    typeof candidate.store?.read !== 'function' ||
    typeof candidate.onError !== 'function'
  ) {
    throw new TypeError(
      `${where}: the first argument must be a stream manager. Create one with createStreamManager({ catalog }).`,
    )
  }
}

/** Refuses a manager whose store cannot run runs, at once. */
export function checkRunStore(where: string, manager: StreamManager): void {
  const { store } = manager
  if (
    typeof store.createRun !== 'function' ||
    typeof store.cancelRun !== 'function' ||
    typeof store.onCancel !== 'function'
  ) {
    throw new TypeError(
      `${where}: the manager's store does not support runs: it needs createRun(), cancelRun() and onCancel() (see EventStore). memoryStore() and redisStore() have them.`,
    )
  }
}
