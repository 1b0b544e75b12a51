import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { ROOT, start, stopAll } from '../cli/spawn.js'
import { freePort } from '../helpers/http.js'
import { fileNameOf, samplesOf } from './samples.js'

// docs/getting-started.md's project, run as a reader runs it: its three files written out as
// they are on the page, `tsx server.ts`, then `tsx watch.ts`. runstream resolves to src/ through
// the repository's tsconfig paths, as in every test.

const page = 'docs/getting-started.md'
const dir = join(ROOT, '.scratch/getting-started')

function writeProject(port: number): void {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const files = samplesOf(page, readFileSync(join(ROOT, page), 'utf8'))
    .map((sample) => ({ name: fileNameOf(sample), code: sample.blocks[0]?.code ?? '' }))
    .filter((file) => file.name !== undefined)
  expect(files.map((file) => file.name)).toEqual(['agent.ts', 'server.ts', 'watch.ts'])
  for (const { name, code } of files) {
    // The page says port 3000; the test takes a free one.
    expect(code.includes('3000') || name === 'agent.ts', `${name} names its port`).toBe(true)
    writeFileSync(join(dir, name ?? ''), code.replaceAll('3000', String(port)))
  }
}

afterEach(stopAll)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('getting-started', () => {
  it('its server starts a run that its watcher sees, to the end', async () => {
    const port = await freePort()
    writeProject(port)
    const server = start(join(dir, 'server.ts'))
    await server.waitFor(new RegExp(`listening on http://localhost:${port}`), {
      timeoutMs: 30_000,
    })

    const watcher = start(join(dir, 'watch.ts'))
    expect(await watcher.exited, watcher.stderr()).toBe(0)
    expect(watcher.stdout()).toBe('Every step of the run reaches whoever watches it. \nSUCCESS\n')

    // A second watcher starts a second run: the server starts one per POST.
    const second = start(join(dir, 'watch.ts'))
    expect(await second.exited, second.stderr()).toBe(0)
    expect(second.stdout()).toContain('SUCCESS')

    // And the first run is still there to replay, from its first event.
    const tail = start('src/cli.ts', [
      'tail',
      `http://localhost:${port}/api/v0/executions/workflows/exec_1/stream`,
      '--json',
    ])
    expect(await tail.exited, tail.stderr()).toBe(0)
    const types = tail
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).type)
    expect(types[0]).toBe('workflow_start')
    expect(types.at(-1)).toBe('complete')
    expect(types.filter((type) => type === 'llm_chunk')).toHaveLength(9)
  }, 90_000)
})
