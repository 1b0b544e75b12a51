import type { ServerResponse } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { createStreamManager, type EventRecord, executionCatalog } from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'
import { freePort, startServer, type TestServer } from '../helpers/http.js'
import { runCli, startCli, stopAll } from './spawn.js'

const servers: TestServer[] = []
afterEach(async () => {
  await stopAll()
  for (const server of servers.splice(0)) await server.close()
})

/** runstream's Node handler on a real server, with a fast `retry:` so reconnects are quick. */
async function streamServer(framing: 'payload' | 'envelope' = 'payload') {
  const manager = createStreamManager({ catalog: executionCatalog })
  const handler = createNodeHandler(manager, { retryMs: 20, framing, onError: () => {} })
  const server = await startServer((req, res) => void handler(req, res))
  servers.push(server)
  const records = async (stream: string): Promise<readonly EventRecord[]> => {
    await manager.flush()
    return (await manager.store.read(stream)).events
  }
  return {
    manager,
    server,
    records,
    url: (id: string) => `${server.url}/api/v0/executions/workflows/${id}/stream`,
  }
}

// The child runs with TZ=UTC, so its clock column is the envelope's own HH:MM:SS.mmm.
const UTC = { TZ: 'UTC' }
const clock = (record: EventRecord) => record.envelope.ts.slice(11, 23)

describe('runstream tail', () => {
  it('prints one line per event (time, id, type, short payload) and exits 0 on complete', async () => {
    // Envelope framing, so the time column is each event's own ts.
    const { manager, records, url } = await streamServer('envelope')
    const stream = manager.stream('workflow:e1')
    stream.emit('workflow_start', { workflow_id: 'wf', execution_id: 'e1' })
    stream.emit('llm_chunk', { text: 'Hel' })
    stream.emit('tool_call', { tool_name: 'web_search', args: { query: 'sse' } })
    stream.emit('complete', { status: 'SUCCESS', duration_ms: 1200 })
    const [start, chunk, tool, complete] = (await records('workflow:e1')) as EventRecord[]

    const { code, stdout, stderr } = await runCli(['tail', url('e1')], UTC)

    expect(stdout).toBe(
      [
        `${clock(start!)}     #1  workflow_start   {"workflow_id":"wf","execution_id":"e1"}`,
        `${clock(chunk!)}     #2  llm_chunk        "Hel"`,
        `${clock(tool!)}     #3  tool_call        web_search(query="sse")`,
        `${clock(complete!)}     #4  complete         SUCCESS · in 1.2 s`,
        '',
      ].join('\n'),
    )
    expect(stderr).toContain(`connected to ${url('e1')}`)
    expect(stderr).toContain('finished: complete')
    expect(code).toBe(0)
  })

  it('follows live events until the terminal event arrives', async () => {
    const { manager, url } = await streamServer()
    const cli = startCli(['tail', url('live')])
    await cli.waitFor(/connected to/)
    const stream = manager.stream('workflow:live')
    stream.emit('llm_chunk', { text: 'first' })
    await cli.waitFor(/"first"/)
    expect(cli.child.exitCode).toBe(null)
    stream.emit('complete', { status: 'SUCCESS' })
    expect(await cli.exited).toBe(0)
  })

  it('exits 1 when the stream ends with an error event', async () => {
    const { manager, url } = await streamServer()
    manager.stream('workflow:bad').emit('error', {
      status: 'FAILED',
      error: { message: 'tool timed out', code: 'tool_timeout' },
    })
    const { code, stdout, stderr } = await runCli(['tail', url('bad')])
    expect(stdout).toMatch(/#1 {2}error {12}FAILED: tool timed out \(tool_timeout\)\n$/)
    expect(stderr).toContain('failed: error')
    expect(code).toBe(1)
  })

  it('exits 1 when complete reports a FAILED status', async () => {
    const { manager, url } = await streamServer()
    manager.stream('workflow:f').emit('complete', { status: 'FAILED' })
    expect((await runCli(['tail', url('f')])).code).toBe(1)
  })

  it('--json prints each envelope exactly as a server in envelope framing sent it, one per line', async () => {
    const { manager, records, url } = await streamServer('envelope')
    const stream = manager.stream('workflow:j')
    stream.emit('llm_chunk', { text: 'line one\nline "two" ünïcode' })
    stream.emit('complete', { status: 'SUCCESS', output: { nested: [1, 2] } })
    const { code, stdout } = await runCli(['tail', url('j'), '--json'])
    const expected = (await records('workflow:j')).map((record) => record.json)
    expect(stdout).toBe(`${expected.join('\n')}\n`)
    expect(code).toBe(0)
  })

  it('--json builds the envelope from a server in payload framing: the stream from the URL, no ts', async () => {
    const { manager, records, url } = await streamServer('payload')
    const stream = manager.stream('workflow:jp')
    stream.emit('llm_chunk', { text: 'line one\nline "two" ünïcode' })
    stream.emit('complete', { status: 'SUCCESS', output: { nested: [1, 2] } })
    const { code, stdout } = await runCli(['tail', url('jp'), '--json'])
    const expected = (await records('workflow:jp')).map(({ envelope }) =>
      JSON.stringify({
        id: envelope.id,
        type: envelope.type,
        stream: envelope.stream,
        data: envelope.data,
      }),
    )
    expect(stdout).toBe(`${expected.join('\n')}\n`)
    expect(code).toBe(0)
  })

  it('--events asks the server for those types only and still ends on the terminal event', async () => {
    const { manager, url } = await streamServer()
    const stream = manager.stream('workflow:ev')
    stream.emit('workflow_status', { status: 'RUNNING' })
    stream.emit('llm_chunk', { text: 'a' })
    stream.emit('tool_call', { tool_name: 't', args: {} })
    stream.emit('llm_chunk', { text: 'b' })
    stream.emit('complete', { status: 'SUCCESS' })
    const { code, stdout } = await runCli(['tail', url('ev'), '--events', 'llm_chunk', '--json'])
    const lines = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines.map((e) => `${e.id}:${e.type}`)).toEqual([
      '2:llm_chunk',
      '4:llm_chunk',
      '5:complete',
    ])
    expect(code).toBe(0)
  })

  it('--last-event-id resumes after that event', async () => {
    const { manager, url } = await streamServer()
    const stream = manager.stream('workflow:r')
    for (const text of ['a', 'b', 'c']) stream.emit('llm_chunk', { text })
    stream.emit('complete', { status: 'SUCCESS' })
    const { stdout } = await runCli(['tail', url('r'), '--last-event-id', '2', '--json'])
    expect(
      stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).id),
    ).toEqual(['3', '4'])
  })

  it('shows a reconnect after a drop and resumes without losing or repeating an event', async () => {
    const { manager, server, url } = await streamServer()
    const stream = manager.stream('workflow:drop')
    const cli = startCli(['tail', url('drop'), '--json'])
    await cli.waitFor(/connected to/)
    for (let n = 1; n <= 5; n++) stream.emit('llm_chunk', { text: `before ${n}` })
    await cli.waitFor(/before 5/)
    server.dropConnections()
    // Emitted while the client is away: it must get them from the replay.
    for (let n = 1; n <= 5; n++) stream.emit('llm_chunk', { text: `during ${n}` })
    await cli.waitFor(/reconnected, resuming after #5/, { stream: 'stderr' })
    stream.emit('complete', { status: 'SUCCESS' })
    expect(await cli.exited).toBe(0)
    expect(cli.stderr()).toMatch(/↻ reconnecting in \d+\.\d s \(attempt 1\)/)
    const ids = cli
      .stdout()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line).id)
    expect(ids).toEqual(Array.from({ length: 11 }, (_, i) => String(i + 1)))
  })

  it('watches a plain SSE server whose data is not a runstream envelope', async () => {
    const server = await startServer((_req, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('id: a1\nevent: greeting\ndata: {"hello":"world"}\n\n')
      res.write('data: just text\n\n')
      res.end('event: complete\ndata: {"status":"SUCCESS"}\n\n')
    })
    servers.push(server)
    const { code, stdout } = await runCli(['tail', `${server.url}/events`])
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {4}#a1 {2}greeting {9}\{"hello":"world"\}$/)
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {9}message {10}just text$/)
    expect(lines[2]).toMatch(/ {9}complete {9}SUCCESS$/)
    expect(code).toBe(0)
  })

  it('exits 3 at once, saying so, when nothing listens at the URL', async () => {
    const port = await freePort()
    const { code, stderr } = await runCli(['tail', `http://127.0.0.1:${port}/stream`])
    expect(stderr).toBe(
      `runstream tail: cannot reach http://127.0.0.1:${port}/stream: connection refused (is the server running on that port?)\n`,
    )
    expect(code).toBe(3)
  })

  it("exits 3 with the server's explanation when it answers an HTTP error", async () => {
    const { server } = await streamServer()
    const url = `${server.url}/api/v0/executions/workflows/x/stream?format=bogus`
    const { code, stderr } = await runCli(['tail', url])
    expect(stderr).toContain('answered HTTP 400 (invalid_request): Invalid format')
    expect(code).toBe(3)
  })

  it('exits 0 when the server answers 204: the cursor is at the end of a finished stream', async () => {
    const { manager, url } = await streamServer()
    manager.stream('workflow:done').emit('complete', { status: 'SUCCESS' })
    await manager.flush()
    const { code, stdout, stderr } = await runCli(['tail', url('done'), '--last-event-id', '1'])
    expect(stdout).toBe('')
    expect(stderr).toContain('the server says the stream is finished (HTTP 204)')
    expect(code).toBe(0)
  })

  it('exits 130 when stopped with Ctrl-C before the stream ends', async () => {
    const { url } = await streamServer()
    const cli = startCli(['tail', url('idle')])
    await cli.waitFor(/connected to/)
    expect(await cli.stop('SIGINT')).toBe(130)
  })
})
