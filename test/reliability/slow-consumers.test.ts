import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { FULL_PLAN, type SlowConsumerFigures, type SlowConsumerPlan } from './slow-consumers.js'

// 100 clients stop reading while 100 000 events are emitted, next to one client that reads
// everything. The run happens in a process of its own, started with --expose-gc, so its live
// memory is measured without the test runner's.

const fixture = fileURLToPath(new URL('./fixtures/slow-consumers-process.ts', import.meta.url))

function run(plan: SlowConsumerPlan): Promise<SlowConsumerFigures> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', fixture, JSON.stringify(plan)],
      { timeout: 120_000, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`))
        else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}'))
      },
    )
  })
}

describe('100 clients that stop reading while 100 000 events are emitted', () => {
  let figures: SlowConsumerFigures
  beforeAll(async () => {
    figures = await run(FULL_PLAN)
    console.info('slow consumers:', JSON.stringify(figures))
  }, 120_000)

  it('leave the client that reads every event, once and in order', () => {
    expect(figures.healthyReceived).toBe(100_001)
    expect(figures.healthyExact).toBe(true)
  })

  it('are each ended by the server as too slow, and every connection is released', () => {
    expect(figures.cut).toBe(FULL_PLAN.stalled)
    expect(figures.connectionsAfter).toBe(0)
  })

  it('never make the server hold more than maxBufferedBytes per client, plus one frame', () => {
    expect(figures.peakBufferedBytes).toBeGreaterThan(
      FULL_PLAN.stalled * FULL_PLAN.maxBufferedBytes,
    )
    expect(figures.peakBufferedBytes).toBeLessThanOrEqual(figures.bufferedBound)
  })

  it("keep the server's live memory within the configured bounds", () => {
    expect(figures.memoryPeak).toBeDefined()
    expect((figures.memoryPeak as number) - figures.memoryConnected).toBeLessThanOrEqual(
      figures.memoryBound,
    )
  })

  // How long an emit or the event loop took while they were stalled is a timing figure: it is
  // printed above, and measured against other servers by bench/slow.ts (the longest emit, the
  // event-loop delay). A bound on it here would fail on a busy machine, not on a defect.
})
