import type { BaseEvent } from '@ag-ui/core'
import { afterEach, describe, expect, it } from 'vitest'
import { RunstreamAgent } from '../../src/ag-ui.js'
import { startSwitchProxy } from '../helpers/switch-proxy.js'
import { openTestStore, SHARED_REDIS_URL } from '../redis/helpers.js'
import { startFixture } from '../redis/processes.js'
import { agentServer, gates, recordingFetch } from './helpers.js'

// A run produced by one process, followed by RunstreamAgent through a switch to another process
// that shares the Redis store: every event once, resumed where it was.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('RunstreamAgent on Redis', () => {
  it('gets every event once through a switch to another process', async () => {
    const test = openTestStore()
    cleanups.push(() => test.dispose())
    const gate = gates()
    const words = ['Hel', 'lo', ', ', 'wor', 'ld', '!']
    // Process 1 (this one): the producer, and the web server the run starts on.
    const producer = await agentServer(async function* () {
      yield { type: 'TEXT_MESSAGE_START', messageId: 'a1', role: 'assistant' } as BaseEvent
      for (const [i, delta] of words.entries()) {
        if (i === 3) await gate.wait(1)
        yield { type: 'TEXT_MESSAGE_CONTENT', messageId: 'a1', delta } as BaseEvent
      }
      yield { type: 'TEXT_MESSAGE_END', messageId: 'a1' } as BaseEvent
    }, test.store)
    cleanups.push(() => producer.close())
    // Process 2: a web process on the same Redis, which produces nothing.
    const web = startFixture('agui-web', { REDIS_URL: SHARED_REDIS_URL, PREFIX: test.prefix })
    cleanups.push(() => web.stop())
    const { port } = await web.next<{ type: string; port: number }>('listening')
    const proxy = await startSwitchProxy(Number(new URL(producer.server.url).port))
    cleanups.push(() => proxy.close())

    const recorder = recordingFetch()
    const agent = new RunstreamAgent({
      url: `${proxy.url}/api/agent`,
      fetch: recorder.fetch,
      reconnect: { initialDelayMs: 1, maxDelayMs: 5 },
      onError: () => undefined,
    })
    const seen: BaseEvent[] = []
    const { newMessages } = await agent.runAgent(
      { runId: 'switch' },
      {
        onEvent({ event }) {
          seen.push(event)
          if (seen.length === 5) {
            // The load balancer moves the client to process 2, then the rest is produced.
            proxy.switchTo(port)
            proxy.cutAll()
            gate.open(1)
          }
        },
      },
    )
    expect(newMessages).toEqual([{ id: 'a1', role: 'assistant', content: words.join('') }])
    const stored: unknown[] = []
    for await (const event of producer.manager.subscribe({ stream: 'agent:switch' }))
      stored.push(event.data)
    expect(seen).toEqual(stored)
    // It resumed after event 5, with the cursor qualified by the stream's epoch, on process 2.
    const { epoch } = await producer.manager.store.read('agent:switch')
    expect(recorder.requests).toEqual([
      'POST /api/agent',
      `GET /api/agent/runs/switch/stream after ${epoch}.5`,
    ])
  })
})
