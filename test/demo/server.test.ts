import { afterEach, describe, expect, it } from 'vitest'
import { connect, type ReconnectInfo } from '../../src/client.js'
import { demoCatalog } from '../../src/demo/catalog.js'
import { type DemoServer, type DemoServerOptions, startDemoServer } from '../../src/demo/server.js'
import { startCli, stopAll } from '../cli/spawn.js'
import { get, parseSse, readBody } from '../helpers/http.js'

const open: DemoServer[] = []
afterEach(async () => {
  await stopAll()
  for (const server of open.splice(0)) await server.close()
})

async function demo(options: DemoServerOptions = {}): Promise<DemoServer> {
  const server = await startDemoServer({ port: 0, autoRun: false, pace: 0.02, ...options })
  open.push(server)
  return server
}

const streamUrl = (server: DemoServer, id: string) =>
  `${server.url}/api/v0/executions/workflows/${id}/stream`

describe('the demo server', () => {
  it('serves the page, its bundled script and its styles', async () => {
    const server = await demo()
    const page = await fetch(server.url)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const html = await page.text()
    expect(html).toContain('<script type="module" src="/app.js"></script>')
    const script = await fetch(`${server.url}/app.js`)
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    // One self-contained module: the client is bundled in, nothing left to import.
    expect(await script.text()).not.toMatch(/^import /m)
    const css = await fetch(`${server.url}/style.css`)
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8')
  })

  it('POST /demo/runs starts a run whose workflow stream ends with complete', async () => {
    const server = await demo()
    expect(await (await fetch(`${server.url}/demo/runs/current`)).json()).toEqual({ id: null })
    const created = await fetch(`${server.url}/demo/runs?fail=false`, { method: 'POST' })
    expect(created.status).toBe(201)
    const { id } = (await created.json()) as { id: string }
    expect(await (await fetch(`${server.url}/demo/runs/current`)).json()).toEqual({ id })
    const response = await get(streamUrl(server, id))
    const messages = parseSse(await response.end(20_000)).filter((m) => m.id !== undefined)
    expect(messages[0]?.event).toBe('workflow_start')
    expect(messages.at(-1)?.event).toBe('complete')
    expect(await server.finished(id)).toBe('succeeded')
  })

  it('POST /api/v0/executions/workflows starts a run and streams it; POST …/cancel stops it', async () => {
    const server = await demo({ pace: 1 })
    const response = await fetch(`${server.url}/api/v0/executions/workflows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fail: false }),
    })
    expect(response.status).toBe(200)
    const location = response.headers.get('location') ?? ''
    expect(location).toMatch(/^\/api\/v0\/executions\/workflows\/[\w-]+\/stream$/)
    const id = location.split('/')[5] as string
    expect(server.currentRunId).toBe(id)
    const reader = readBody(response.body)
    await reader.until((text) => text.includes('event: task_started'))
    const cancel = await fetch(`${server.url}${location.replace(/stream$/, 'cancel')}`, {
      method: 'POST',
    })
    expect(cancel.status).toBe(202)
    const last = parseSse(await reader.end(20_000))
      .filter((m) => m.id !== undefined)
      .at(-1)
    expect(last?.event).toBe('error')
    expect(JSON.parse(last?.data ?? '{}')).toMatchObject({
      status: 'CANCELED',
      error: { message: 'Stopped before it finished.' },
    })
    expect(await server.finished(id)).toBe('canceled')
  })

  it('answers a POST that starts a run with 429 past maxActiveRuns', async () => {
    const server = await demo({ maxActiveRuns: 1, pace: 1 })
    expect(server.startRun()).toBeDefined()
    const refused = await fetch(`${server.url}/api/v0/executions/workflows`, {
      method: 'POST',
      body: '{}',
    })
    expect(refused.status).toBe(429)
    expect(await refused.json()).toMatchObject({ error: { code: 'too_many_runs' } })
  })

  it('?fail=true plays a run that ends with error', async () => {
    const server = await demo()
    const { id } = (await (
      await fetch(`${server.url}/demo/runs?fail=true`, { method: 'POST' })
    ).json()) as {
      id: string
    }
    const response = await get(streamUrl(server, id))
    const messages = parseSse(await response.end(20_000)).filter((m) => m.id !== undefined)
    expect(messages.at(-1)?.event).toBe('error')
    expect(await server.finished(id)).toBe('failed')
  })

  it('starts a new run after each one ends when autoRun is on', async () => {
    const server = await demo({ autoRun: true, intervalMs: 0, pace: 0 })
    const first = server.currentRunId as string
    await server.finished(first)
    await expect.poll(() => server.currentRunId, { timeout: 5000 }).not.toBe(first)
  })

  it('answers 429 past maxActiveRuns', async () => {
    const server = await demo({ maxActiveRuns: 1, pace: 1 })
    expect((await fetch(`${server.url}/demo/runs`, { method: 'POST' })).status).toBe(201)
    const refused = await fetch(`${server.url}/demo/runs`, { method: 'POST' })
    expect(refused.status).toBe(429)
  })

  it('POST /demo/drop cuts the open streams, and the client resumes without a gap or a repeat', async () => {
    const server = await demo({ pace: 0.1 })
    const id = server.startRun({ fail: false }) as string
    const reconnects: ReconnectInfo[] = []
    // The ids the client had received (parsed, maybe not yet iterated) when it reconnected.
    const received: string[] = []
    let receivedAtReconnect: string | undefined
    const subscription = connect(streamUrl(server, id), {
      catalog: demoCatalog,
      reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
      onReconnect: (info) => {
        reconnects.push(info)
        receivedAtReconnect = received.at(-1)
      },
      onError: () => {},
    })
    subscription.on('*', (event) => received.push(event.id))
    const ids: string[] = []
    for await (const event of subscription) {
      ids.push(event.id)
      if (ids.length === 20) {
        const dropped = (await (
          await fetch(`${server.url}/demo/drop`, { method: 'POST' })
        ).json()) as {
          dropped: number
        }
        expect(dropped.dropped).toBe(1)
      }
    }
    expect(reconnects).toHaveLength(1)
    // It resumed after the last event it had received: the 20th, or one that arrived while
    // the drop was being asked for.
    // (The cursor is that id qualified with the stream's epoch: `<epoch>.<id>`.)
    const [epoch, resumedAfter] = (reconnects[0]?.lastEventId ?? '').split('.')
    expect(epoch).toMatch(/^[a-z][0-9a-z]{9}$/)
    expect(resumedAfter).toBe(receivedAtReconnect)
    expect(Number(resumedAfter)).toBeGreaterThanOrEqual(20)
    expect(ids).toEqual(ids.map((_, i) => String(i + 1)))
    expect(received).toEqual(ids)
    expect(ids.length).toBeGreaterThan(100)
  })

  it('close() cancels the playing runs, so watchers see error CANCELED', async () => {
    const server = await demo({ pace: 1 })
    const id = server.startRun({ fail: false }) as string
    const response = await get(streamUrl(server, id))
    await response.until((text) => text.includes('event: task_started'))
    await server.close()
    open.length = 0
    const last = parseSse(await response.end())
      .filter((m) => m.id !== undefined)
      .at(-1)
    expect(last?.event).toBe('error')
    expect(JSON.parse(last?.data ?? '{}').status).toBe('CANCELED')
    expect(await server.finished(id)).toBe('canceled')
  })
})

describe('runstream demo', () => {
  it('prints the URL, serves the page, and stops cleanly on Ctrl-C', async () => {
    const cli = startCli(['demo', '--port', '0'], { RUNSTREAM_DEMO_PACE: '0.02' })
    const [, url] = (await cli.waitFor(
      /is running at (http:\/\/127\.0\.0\.1:\d+)/,
    )) as RegExpMatchArray
    expect(cli.stdout()).toContain('events are kept in memory; press Ctrl-C to stop.')
    expect((await fetch(url as string)).status).toBe(200)
    await cli.waitFor(/run exec_\w+ (succeeded|failed) in/, { stream: 'stderr' })
    expect(await cli.stop('SIGINT')).toBe(0)
  })

  it('keeps events in Redis when REDIS_URL is set', async () => {
    const cli = startCli(['demo', '--port', '0'], {
      RUNSTREAM_DEMO_PACE: '0.02',
      REDIS_URL: 'redis://127.0.0.1:6379',
    })
    const [, url] = (await cli.waitFor(
      /is running at (http:\/\/127\.0\.0\.1:\d+)/,
    )) as RegExpMatchArray
    expect(cli.stdout()).toContain('events are kept in Redis (redis://127.0.0.1:6379)')
    const { id } = (await (await fetch(`${url}/demo/runs/current`)).json()) as { id: string }
    const response = await get(`${url}/api/v0/executions/workflows/${id}/stream`)
    const messages = parseSse(await response.end(20_000)).filter((m) => m.id !== undefined)
    expect(['complete', 'error']).toContain(messages.at(-1)?.event)
    expect(await cli.stop('SIGINT')).toBe(0)
  })

  it('fails with exit 3 and a clear message when the asked-for port is taken', async () => {
    const server = await demo()
    const port = new URL(server.url).port
    const cli = startCli(['demo', '--port', port])
    expect(await cli.exited).toBe(3)
    expect(cli.stderr()).toContain(`runstream demo: Port ${port} is already in use`)
  })
})
