import { execFile, execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cacheDir, pack } from '../../scripts/consumer-types/install.js'
import { ROOT, startProcess, stopAll } from '../cli/spawn.js'

// `runstream demo` from the package as npm installs it, not from a clone: the page is built into
// dist/demo-page/, so neither src/ nor esbuild is needed (docs/getting-started.md says so).

const run = promisify(execFile)
const project = join(cacheDir(ROOT), 'demo-project')

beforeAll(async () => {
  // `npm test` builds before vitest; a lone run builds here.
  if (!existsSync(join(ROOT, 'dist/demo-page/app.js'))) {
    execFileSync('npx', ['tsup'], { cwd: ROOT, stdio: 'ignore', timeout: 120_000 })
  }
  rmSync(project, { recursive: true, force: true })
  mkdirSync(project, { recursive: true })
  writeFileSync(join(project, 'package.json'), '{ "private": true, "type": "module" }\n')
  const tarball = await pack(ROOT, join(cacheDir(ROOT), 'demo-pack'))
  await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', tarball, 'zod@4'],
    { cwd: project },
  )
}, 180_000)

afterEach(stopAll)

describe('runstream demo, installed from the packed package', () => {
  it('prints its URL and serves the page, its script and a live stream', async () => {
    const bin = join(project, 'node_modules/.bin/runstream')
    expect(existsSync(join(project, 'node_modules/runstream/src')), 'no src/ in the package').toBe(
      false,
    )
    const demo = startProcess(bin, ['demo', '--port', '0'], {}, 'runstream demo')
    const [, url] = await demo.waitFor(/running at (http:\/\/127\.0\.0\.1:\d+)/, {
      timeoutMs: 30_000,
    })
    const [, run] = await demo.waitFor(/run (exec_\S+) started/)

    const page = await fetch(`${url}/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<script type="module" src="/app.js"></script>')
    const script = await fetch(`${url}/app.js`)
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toMatch(/javascript/)
    expect((await script.text()).length).toBeGreaterThan(10_000)

    const stream = await fetch(`${url}/api/v0/executions/workflows/${run}/stream`)
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader()
    let text = ''
    while (!text.includes('event: workflow_start')) {
      const { value, done } = await reader.read()
      if (done) break
      text += value
    }
    await reader.cancel()
    expect(text).toContain('event: workflow_start')

    expect(await demo.stop()).toBe(0)
  }, 90_000)
})
