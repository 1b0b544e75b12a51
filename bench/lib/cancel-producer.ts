/**
 * The producer process of bench/cancel.ts: starts runs on a Redis store and, when one is
 * cancelled, reports when its signal aborted and ends it with `error` CANCELED.
 * Env: REDIS_URL, PREFIX. IPC in: { type: 'start', id }, { type: 'exit' }.
 * IPC out: { type: 'ready' }, { type: 'started', id }, { type: 'aborted', id, at }.
 */
import { createStreamManager, executionCatalog } from '../../src/index.js'
import { redisStore } from '../../src/redis.js'

const manager = createStreamManager({
  catalog: executionCatalog,
  store: redisStore({
    url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    prefix: process.env.PREFIX ?? 'bench:',
    onError: () => {},
  }),
  onError: () => {},
})

process.on('message', (message: { type: 'start'; id: string } | { type: 'exit' }) => {
  if (message.type === 'exit') void manager.close().then(() => process.exit(0))
  else void start(message.id)
})
process.on('disconnect', () => process.exit(0))
process.send?.({ type: 'ready' })

async function start(id: string): Promise<void> {
  const run = await manager.startRun('workflow', { id })
  run.signal.addEventListener('abort', () => {
    const at = performance.timeOrigin + performance.now()
    run.stream.emit('error', { status: 'CANCELED', error: { message: 'canceled' } })
    process.send?.({ type: 'aborted', id, at })
  })
  run.stream.emit('workflow_status', { status: 'RUNNING' })
  await manager.flush()
  process.send?.({ type: 'started', id })
}
