import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CliError } from '../../src/cli/io.js'
import { parseRecording } from '../../src/cli/recording.js'
import { get, parseSse } from '../helpers/http.js'
import { ROOT, runCli, startCli, stopAll } from './spawn.js'

let dir: string
let logFile: string
let logLines: string[]

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runstream-serve-'))
  // A real log: what the orchestrator example prints through the stdout transport.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'examples/orchestrator.ts'],
    {
      cwd: ROOT,
      env: { ...process.env, ORCHESTRATOR_DELAY_MS: '1' },
    },
  )
  logFile = join(dir, 'run.jsonl')
  await writeFile(logFile, stdout)
  logLines = stdout.trimEnd().split('\n')
})
afterAll(() => rm(dir, { recursive: true, force: true }))
afterEach(stopAll)

async function serveFile(file: string, ...args: string[]) {
  const cli = startCli(['serve', file, '--port', '0', ...args])
  const [, url] = (await cli.waitFor(/at (http:\/\/127\.0\.0\.1:\d+)\n/)) as RegExpMatchArray
  await cli.waitFor(/Press Ctrl-C to stop\./)
  return { cli, url: url as string }
}

describe('runstream serve', () => {
  it('replays a stdout-transport log with its recorded ids, the payloads alone in data:', async () => {
    const stream = JSON.parse(logLines[0] as string).stream as string
    const id = stream.slice('workflow:'.length)
    const { cli, url } = await serveFile(logFile)
    const route = `${url}/api/v0/executions/workflows/${id}/stream`
    expect(cli.stdout()).toContain(`  ${route}  (${logLines.length} events)\n`)

    const response = await get(route)
    await response.end()
    const messages = parseSse(response.text).filter((m) => m.id !== undefined)
    const envelopes = logLines.map((line) => JSON.parse(line))
    expect(messages.map((m) => m.data)).toEqual(envelopes.map((e) => JSON.stringify(e.data)))
    expect(messages.map((m) => m.event)).toEqual(envelopes.map((e) => e.type))
    expect(messages.map((m) => m.id)).toEqual(logLines.map((_, i) => String(i + 1)))
  })

  it('--framing envelope replays the recorded envelopes byte for byte', async () => {
    const id = (JSON.parse(logLines[0] as string).stream as string).slice('workflow:'.length)
    const { url } = await serveFile(logFile, '--framing', 'envelope')
    const response = await get(`${url}/api/v0/executions/workflows/${id}/stream`)
    await response.end()
    const messages = parseSse(response.text).filter((m) => m.id !== undefined)
    expect(messages.map((m) => m.data)).toEqual(logLines)
  })

  it('refuses an unknown --framing with exit 2', async () => {
    const { code, stderr } = await runCli(['serve', logFile, '--framing', 'json'])
    expect(code).toBe(2)
    expect(stderr).toContain('--framing must be "payload"')
  })

  it('resumes after a Last-Event-ID, and answers 204 at the end of the finished stream', async () => {
    const id = (JSON.parse(logLines[0] as string).stream as string).slice('workflow:'.length)
    const { url } = await serveFile(logFile, '--framing', 'envelope')
    const route = `${url}/api/v0/executions/workflows/${id}/stream`
    const resumed = await get(route, { 'last-event-id': '3' })
    await resumed.end()
    const data = parseSse(resumed.text)
      .filter((m) => m.id !== undefined)
      .map((m) => m.data)
    expect(data).toEqual(logLines.slice(3))
    const atEnd = await get(route, { 'last-event-id': String(logLines.length) })
    expect(atEnd.status).toBe(204)
  })

  it('--speed replays with the recorded spacing, faster by that factor', async () => {
    const t0 = Date.parse('2026-01-01T00:00:00.000Z')
    const line = (id: number, offsetMs: number, type: string, data: unknown) =>
      JSON.stringify({
        id: String(id),
        type,
        stream: 'task:t1',
        ts: new Date(t0 + offsetMs).toISOString(),
        data,
      })
    const file = join(dir, 'spaced.jsonl')
    await writeFile(
      file,
      [
        line(1, 0, 'llm_chunk', { text: 'a' }),
        line(2, 2000, 'llm_chunk', { text: 'b' }),
        line(3, 4000, 'complete', { status: 'SUCCESS' }),
      ].join('\n'),
    )
    const { url } = await serveFile(file, '--speed', '5')
    const started = Date.now()
    const response = await get(`${url}/api/v0/executions/tasks/t1/stream`)
    await response.end()
    // 4 s of recording at 5× is 800 ms: the replay cannot end sooner.
    expect(Date.now() - started).toBeGreaterThanOrEqual(700)
    expect(
      parseSse(response.text)
        .filter((m) => m.id !== undefined)
        .map((m) => m.id),
    ).toEqual(['1', '2', '3'])
  })

  it('skips lines that are not envelopes and says how many', async () => {
    const file = join(dir, 'noisy.jsonl')
    await writeFile(file, ['starting agent…', ...logLines, '{"not":"an envelope"}', ''].join('\n'))
    const { cli } = await serveFile(file)
    await cli.waitFor(/skipped 2 line\(s\) that are not envelopes \(the first is line 1\)/, {
      stream: 'stderr',
    })
  })

  it('refuses a log whose ids do not run 1, 2, 3… with exit 2 and the line at fault', async () => {
    const file = join(dir, 'gappy.jsonl')
    await writeFile(file, [logLines[0], logLines[2]].join('\n'))
    const { code, stderr } = await runCli(['serve', file, '--port', '0'])
    expect(stderr).toMatch(/^line 2: stream "workflow:[^"]+" has id 3 where 2 was expected\./)
    expect(code).toBe(2)
  })

  it('refuses a file without a single envelope with exit 2', async () => {
    const file = join(dir, 'empty.jsonl')
    await writeFile(file, 'hello\n')
    const { code, stderr } = await runCli(['serve', file, '--port', '0'])
    expect(stderr).toContain('holds no runstream envelopes')
    expect(code).toBe(2)
  })

  it('stops cleanly on Ctrl-C with exit 0', async () => {
    const { cli } = await serveFile(logFile)
    expect(await cli.stop('SIGINT')).toBe(0)
  })
})

describe('parseRecording', () => {
  it('keeps the recorded bytes after the id, and re-serializes a line another tool reformatted', async () => {
    const text = await readFile(logFile, 'utf8')
    const recording = parseRecording(text, (type) => type === 'complete')
    const first = recording.events[0]
    expect(`{"id":"1",${first?.draft.body}`).toBe(logLines[0])
    const spaced = JSON.stringify(JSON.parse(logLines[0] as string), null, 1).replaceAll('\n', '')
    const again = parseRecording(spaced, () => false)
    expect(`{"id":"1",${again.events[0]?.draft.body}`).toBe(logLines[0])
  })

  it('marks terminal events and counts events per stream', () => {
    const recording = parseRecording(logLines.join('\n'), (type) => type === 'complete')
    expect(recording.events.filter((e) => e.draft.terminal).map((e) => e.draft.type)).toEqual([
      'complete',
    ])
    expect([...recording.streams.values()]).toEqual([logLines.length])
  })

  it('throws a usage error for a stream that starts after id 1', () => {
    expect(() => parseRecording(logLines.slice(1).join('\n'), () => false)).toThrow(CliError)
  })
})
