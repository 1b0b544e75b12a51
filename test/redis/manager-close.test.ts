import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { deleteKeys, SHARED_REDIS_URL, uniquePrefix } from './helpers.js'

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'close-only-producer.ts')
const prefix = uniquePrefix('close')

afterAll(() => deleteKeys(SHARED_REDIS_URL, prefix))

describe('manager.close() on redisStore', () => {
  it('closes the store, so a producer script that only closes its manager exits on its own', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      env: { ...process.env, REDIS_URL: SHARED_REDIS_URL, PREFIX: prefix, STREAM: 'task:close' },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let stdout = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    // The condition is the exit itself; the bound only keeps a hung script from hanging the run
    // (before manager.close() closed the store, the script never exited).
    const exit = await new Promise<number | string | null>((resolve) => {
      const bound = setTimeout(() => {
        child.kill('SIGKILL')
        resolve('still running after 20 s')
      }, 20_000)
      child.once('exit', (code) => {
        clearTimeout(bound)
        resolve(code)
      })
    })
    expect(exit).toBe(0)
    expect(stdout.trim()).toBe('6')
  }, 30_000)
})
