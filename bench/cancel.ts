/**
 * Cancel latency across processes, on Redis: this process cancels runs (`manager.cancelRun`)
 * that a producer process started, and follows each one; it measures, from the call,
 * 1. when the producer's `run.signal` aborted (in the other process, on the same clock), and
 * 2. when the follower here received the terminal event the producer then emitted.
 *
 * Run: `npx tsx bench/cancel.ts [--runs 200]`, with REDIS_URL (default redis://127.0.0.1:6379).
 * Keys live under a unique prefix and are deleted at the end. Goals are reported, never asserted.
 */
import { Redis } from 'ioredis'
import { createStreamManager, executionCatalog } from '../src/index.js'
import { redisStore } from '../src/redis.js'
import { next, processGroup } from './lib/processes.js'
import { distribution } from './lib/stats.js'

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const runsArg = process.argv.indexOf('--runs')
const runs = runsArg === -1 ? 200 : Number(process.argv[runsArg + 1])
const prefix = `bench:cancel:${process.pid}-${Date.now().toString(36)}:`

const group = processGroup()
process.env.REDIS_URL = url
process.env.PREFIX = prefix
const producer = group.spawn('cancel-producer.ts')
const manager = createStreamManager({
  catalog: executionCatalog,
  store: redisStore({ url, prefix, onError: () => {} }),
  onError: () => {},
})

try {
  await next(producer, 'ready')
  const aborted: number[] = []
  const ended: number[] = []
  for (let n = 0; n < runs; n++) {
    const id = `r${n}`
    producer.send({ type: 'start', id })
    await next(producer, 'started')
    const follower = manager.subscribe({ stream: `workflow:${id}` })
    const first = await follower.next()
    if (first.done === true) throw new Error('the follower ended early')
    const abortedAt = next<{ at: number }>(producer, 'aborted')
    const sent = performance.timeOrigin + performance.now()
    await manager.cancelRun(`workflow:${id}`, 'bench')
    for await (const event of follower) if (event.type === 'error') break
    ended.push(performance.timeOrigin + performance.now() - sent)
    aborted.push((await abortedAt).at - sent)
  }
  const report = (values: number[]) => {
    const { p50, p90, p99, max } = distribution(values)
    return `p50 ${p50} ms, p90 ${p90} ms, p99 ${p99} ms, max ${max} ms`
  }
  console.log(`cancel → producer's signal aborted (${runs} runs): ${report(aborted)}`)
  console.log(`cancel → follower got the terminal event:      ${report(ended)}`)
} finally {
  await group.stopAll()
  await manager.close()
  const redis = new Redis(url)
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(...keys)
  redis.disconnect()
}
