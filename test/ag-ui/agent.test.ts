import type { BaseEvent } from '@ag-ui/core'
import { afterEach, describe, expect, it } from 'vitest'
import { RunstreamAgent } from '../../src/ag-ui.js'
import { waitFor } from '../helpers/http.js'
import { agentServer, gates, recordingFetch } from './helpers.js'

// RunstreamAgent: every event once through drops, attaching to a running run, cloning.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const FAST = { initialDelayMs: 1, maxDelayMs: 5 }

/** An agent in four parts of three words, each part waiting for the test's gate. */
function gatedAgent() {
  const gate = gates()
  const parts = [0, 1, 2, 3].map((part) => [0, 1, 2].map((word) => `p${part}w${word} `))
  const run = async function* () {
    yield { type: 'TEXT_MESSAGE_START', messageId: 'a1', role: 'assistant' } as BaseEvent
    for (const [part, words] of parts.entries()) {
      if (part > 0) await gate.wait(part)
      for (const delta of words)
        yield { type: 'TEXT_MESSAGE_CONTENT', messageId: 'a1', delta } as BaseEvent
    }
    yield { type: 'TEXT_MESSAGE_END', messageId: 'a1' } as BaseEvent
  }
  return { gate, run, text: parts.flat().join('') }
}

describe('RunstreamAgent', () => {
  it('gets every event once, in order, through three server-side drops', async () => {
    const { gate, run, text } = gatedAgent()
    const served = await agentServer(run)
    cleanups.push(() => served.close())
    const recorder = recordingFetch()
    const agent = new RunstreamAgent({
      url: served.url,
      fetch: recorder.fetch,
      reconnect: FAST,
      onError: () => undefined,
      initialMessages: [{ id: 'u1', role: 'user', content: 'Hi' }],
    })
    const seen: BaseEvent[] = []
    let drops = 0
    const result = await agent.runAgent(
      { runId: 'drops' },
      {
        onEvent({ event }) {
          seen.push(event)
          // After each part, the server drops every connection, then lets the agent go on.
          const contents = seen.filter((e) => e.type === 'TEXT_MESSAGE_CONTENT').length
          if (contents === (drops + 1) * 3 && drops < 3) {
            drops++
            served.server.dropConnections()
            gate.open(drops)
          }
        },
      },
    )
    expect(drops).toBe(3)
    expect(result.newMessages).toEqual([{ id: 'a1', role: 'assistant', content: text }])
    const stored: unknown[] = []
    for await (const event of served.manager.subscribe({ stream: 'agent:drops' }))
      stored.push(event.data)
    expect(seen).toEqual(stored)
    expect(recorder.requests[0]).toBe('POST /api/agent')
    expect(
      recorder.requests
        .slice(1)
        .every((r) => r.startsWith('GET /api/agent/runs/drops/stream after')),
    ).toBe(true)
    expect(recorder.requests).toHaveLength(4)
  })

  it('attaches a fresh agent (a reloaded page) to the running run of its thread', async () => {
    const { gate, run, text } = gatedAgent()
    const served = await agentServer(run)
    cleanups.push(() => served.close())
    const first = new RunstreamAgent({ url: served.url, threadId: 'reload', reconnect: FAST })
    first.addMessage({ id: 'u1', role: 'user', content: 'Hi' })
    const running = first.runAgent({ runId: 'reload-run' })
    const events: string[] = []
    // The page goes away: its agent stops following; the run goes on.
    await waitFor(() => first.messages.length === 2, 5000, 'the first words')
    first.abortRun()
    await running
    const reloaded = new RunstreamAgent({ url: served.url, threadId: 'reload', reconnect: FAST })
    const { newMessages } = await reloaded.connectAgent(
      {},
      {
        onEvent({ event }) {
          events.push(event.type)
          // Attached while the run goes on: let it finish now.
          if (events.length === 1) for (const part of [1, 2, 3]) gate.open(part)
        },
      },
    )
    expect(newMessages).toEqual([{ id: 'a1', role: 'assistant', content: text }])
    expect(events[0]).toBe('RUN_STARTED')
    expect(events.at(-1)).toBe('RUN_FINISHED')
    // Nothing runs on the thread now: attaching ends at once, with nothing new.
    const again = new RunstreamAgent({ url: served.url, threadId: 'reload' })
    expect(await again.connectAgent()).toEqual({ result: undefined, newMessages: [] })
  })

  it('replays, on connectAgent, the run it was following, rewound first so nothing is applied twice', async () => {
    const { gate, run, text } = gatedAgent()
    const served = await agentServer(run)
    cleanups.push(() => served.close())
    const recorder = recordingFetch()
    const agent = new RunstreamAgent({
      url: served.url,
      threadId: 'same-page',
      fetch: recorder.fetch,
      reconnect: FAST,
    })
    const running = agent.runAgent({ runId: 'same-page-run' })
    await waitFor(() => agent.messages.at(-1)?.content === 'p0w0 p0w1 p0w2 ', 5000, 'part 0')
    agent.abortRun()
    await running
    const resumed = agent.connectAgent()
    for (const part of [1, 2, 3]) gate.open(part)
    await resumed
    expect(agent.messages).toEqual([{ id: 'a1', role: 'assistant', content: text }])
    expect(recorder.requests.at(-1)).toBe('GET /api/agent/runs/same-page-run/stream')
  })

  it("cancels its thread's run on the server with cancelRun, from any agent", async () => {
    const served = await agentServer(async function* (_input, { signal }) {
      yield { type: 'TEXT_MESSAGE_START', messageId: 'a1', role: 'assistant' } as BaseEvent
      await new Promise((resolve) => signal.addEventListener('abort', resolve))
    })
    cleanups.push(() => served.close())
    const agent = new RunstreamAgent({ url: served.url, threadId: 'cancel-me', reconnect: FAST })
    const seen: string[] = []
    const running = agent.runAgent(
      { runId: 'cancel-run' },
      { onEvent: ({ event }) => void seen.push(event.type) },
    )
    await waitFor(() => seen.includes('TEXT_MESSAGE_START'), 5000, 'the first event')
    const other = new RunstreamAgent({ url: served.url, threadId: 'cancel-me' })
    expect(await other.cancelRun()).toBe(true)
    await running
    expect(seen.at(-1)).toBe('RUN_ERROR')
    expect(await other.cancelRun()).toBe(false)
  })

  it('clones with its server, headers and options', () => {
    const agent = new RunstreamAgent({ url: 'http://localhost/api/agent', headers: { a: 'b' } })
    const copy = agent.clone()
    expect(copy).toBeInstanceOf(RunstreamAgent)
    expect(copy.url).toBe(agent.url)
    expect(copy.headers).toEqual({ a: 'b' })
    expect(copy.headers).not.toBe(agent.headers)
    expect(copy.abortController).not.toBe(agent.abortController)
    expect(() => new RunstreamAgent({ url: '' })).toThrowError(/`url` must be the URL/)
  })
})
