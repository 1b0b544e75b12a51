import { describe, expect, it } from 'vitest'
import { createStreamManager, executionCatalog, type RunstreamError } from '../../src/index.js'
import { settleRun } from '../../src/server/produce.js'

// What the AG-UI and AI SDK producers share once their source is drained.

function setup() {
  const manager = createStreamManager({ catalog: executionCatalog })
  const errors: RunstreamError[] = []
  const controller = new AbortController()
  const run = {
    stream: manager.stream('agent:settle'),
    signal: controller.signal,
    catalog: executionCatalog,
  }
  const types = async () =>
    (await manager.store.read('agent:settle')).events.map((e) => e.envelope.type)
  return { run, errors, controller, types, report: (e: RunstreamError) => errors.push(e) }
}

const failure = (why: string) => `The run failed: ${why}.`

describe('settleRun', () => {
  it('reports a failed source as handler_failed, with its message, and leaves the end to the caller', async () => {
    const { run, errors, report, types } = setup()
    const cause = new Error('model down')
    expect(settleRun(run, { kind: 'failed', error: cause }, report, failure)).toBe(false)
    expect(errors.map((e) => [e.code, e.message, e.cause])).toEqual([
      ['handler_failed', 'The run failed: model down.', cause],
    ])
    expect(await types()).toEqual([])
  })

  it("ends a cancelled run at once with the catalog's cancellation event", async () => {
    const { run, errors, report, controller, types } = setup()
    controller.abort()
    expect(settleRun(run, { kind: 'ended' }, report, failure)).toBe(true)
    expect(errors).toEqual([])
    expect(await types()).toEqual(['error'])
    expect(run.stream.finished).toBe(true)
  })

  it('does nothing to a stream that already finished, not even report', () => {
    const { run, errors, report } = setup()
    run.stream.emit('complete', { status: 'SUCCESS' })
    expect(settleRun(run, { kind: 'failed', error: 'late' }, report, failure)).toBe(true)
    expect(errors).toEqual([])
  })
})
