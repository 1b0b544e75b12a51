import { readFile } from 'node:fs/promises'
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { describe, expect, it } from 'vitest'
import * as z from 'zod/mini'
import { compozyCatalog, compozyUsage } from '../../src/index.js'
import { goJson } from './go-sse.js'
import { events, RECORDINGS, render, TOKENS } from './recordings.js'

const fixture = (name: string) => readFile(new URL(`./fixtures/${name}.sse`, import.meta.url))

/** The payload a frame carries: `llm_chunk` is raw text, every other event JSON. */
const payload = (event: string, data: string): unknown =>
  event === 'llm_chunk' ? data : JSON.parse(data)

/** Parses `text` fed in chunks of `size` characters, as a network would cut it. */
function parse(text: string, size: number): { messages: EventSourceMessage[]; comments: string[] } {
  const messages: EventSourceMessage[] = []
  const comments: string[] = []
  const parser = createParser({
    onEvent: (message) => messages.push(message),
    onComment: (comment) => comments.push(comment),
    onError: (error) => {
      throw error
    },
  })
  for (let i = 0; i < text.length; i += size) parser.feed(text.slice(i, i + size))
  return { messages, comments }
}

describe('compozyCatalog', () => {
  it('defines the events compozy writes, with complete and error terminal', () => {
    expect([...compozyCatalog.names].sort()).toEqual(
      [
        'agent_start',
        'agent_status',
        'complete',
        'error',
        'llm_chunk',
        'status',
        'structured_delta',
        'task_status',
        'tool_call',
        'warning',
        'workflow_start',
        'workflow_status',
      ].sort(),
    )
    expect(compozyCatalog.terminal).toEqual(['complete', 'error'])
  })

  for (const recording of RECORDINGS) {
    describe(`the recorded ${recording.name} stream`, () => {
      it('is on disk exactly as derived from the Go handlers', async () => {
        expect((await fixture(recording.name)).toString('utf8')).toBe(render(recording))
      })

      it('parses with eventsource-parser into exactly its frames, whatever the chunking', async () => {
        const text = (await fixture(recording.name)).toString('utf8')
        const expected = events(recording).map((frame) => ({
          id: String(frame.id),
          event: frame.event,
          data: frame.data,
        }))
        const heartbeats = recording.frames.filter((frame) => frame.kind === 'heartbeat').length
        for (const size of [text.length, 7, 1]) {
          const { messages, comments } = parse(text, size)
          expect(messages).toEqual(expected)
          expect(comments).toEqual(Array(heartbeats).fill('ping'))
        }
      })

      it('has every payload valid, and the schema output re-encodes to the same bytes', () => {
        for (const frame of events(recording)) {
          const result = compozyCatalog.validate(frame.event, payload(frame.event, frame.data))
          expect(result, `${frame.event} #${frame.id}`).toMatchObject({ ok: true })
          if (!result.ok) continue
          // Same key order as Go wrote: runstream re-serializing a payload writes compozy's bytes.
          const again = typeof result.data === 'string' ? result.data : goJson(result.data)
          expect(again, `${frame.event} #${frame.id}`).toBe(frame.data)
        }
      })
    })
  }

  it('keeps each text token as the exact string, numbers, keywords and quotes included', () => {
    for (const token of TOKENS) {
      expect(compozyCatalog.validate('llm_chunk', token)).toEqual({ ok: true, data: token })
    }
    expect(compozyCatalog.validate('llm_chunk', 42)).toMatchObject({ ok: false })
  })

  it('takes usage in every shape compozy versions write', () => {
    const entry = {
      provider: 'openai',
      model: 'm',
      prompt_tokens: 1,
      completion_tokens: 2,
      total_tokens: 3,
    }
    for (const usage of [[entry], entry, { entries: [entry] }, []]) {
      expect(z.safeParse(compozyUsage, usage).success).toBe(true)
      const complete = { status: 'SUCCESS', usage, ts: '2026-11-21T08:00:02Z' }
      expect(compozyCatalog.validate('complete', complete)).toEqual({ ok: true, data: complete })
    }
  })

  it('takes the three errors compozy writes, and refuses a payload of none of them', () => {
    const workflow = { error: 'boom', status: 'FAILED' }
    const execution = { status: 'TIMED_OUT', error: {}, ts: '2026-11-21T08:00:02Z' }
    const session = { component: 'agent', message: 'provider 429', task_id: 't' }
    for (const data of [workflow, execution, session, { status: 'CANCELED' }]) {
      expect(compozyCatalog.validate('error', data)).toEqual({ ok: true, data })
    }
    expect(compozyCatalog.validate('error', { message: 'no component' })).toMatchObject({
      ok: false,
    })
    expect(
      compozyCatalog.validate('error', { error: { message: 'x' }, status: 'FAILED' }),
    ).toMatchObject({ ok: false })
  })

  it('refuses a status compozy does not have and a status event without its ts', () => {
    expect(compozyCatalog.validate('workflow_status', { status: 'DONE' })).toMatchObject({
      ok: false,
    })
    expect(compozyCatalog.validate('agent_status', { status: 'RUNNING' })).toMatchObject({
      ok: false,
    })
  })
})
