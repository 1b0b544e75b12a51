/**
 * Runs ONE case of the suite in this process, which the runner forks fresh for it, so no case
 * inherits another's heap, JIT state or sockets.
 *
 * IPC in: { type: 'run', name, options }. Out: { type: 'result', result }, or the process
 * exits non-zero with the error on stderr.
 */
import type { CaseName } from './summary.js'

const cases: Record<CaseName, () => Promise<{ run(options: object): unknown }>> = {
  emit: () => import('../emit.js'),
  fanout: () => import('../fanout.js'),
  consume: () => import('../consume.js'),
  latency: () => import('../latency.js'),
  slow: () => import('../slow.js'),
  redis: () => import('../redis.js'),
  framing: () => import('../framing.js'),
  store: () => import('../store.js'),
  adapters: () => import('../adapters.js'),
}

process.on('message', (message: { type: 'run'; name: CaseName; options: object }) => {
  if (message.type !== 'run') return
  void (async () => {
    const module = await cases[message.name]()
    const result = await module.run({ ...message.options, print: true, output: false })
    process.send?.({ type: 'result', result }, () => process.exit(0))
  })().catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
})
