import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import type { RunstreamError } from '../../src/index.js'
import { type RedisStore, type RedisStoreSettings, redisStore } from '../../src/redis.js'
import { freePort } from '../helpers/http.js'
import { waitFor } from '../helpers/wait.js'

/** The shared Redis of these machines (never stopped by a test). */
export const SHARED_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

let prefixes = 0
/** A key prefix no other test, run or helper uses, so tests can share one Redis. */
export function uniquePrefix(label = 'test'): string {
  prefixes++
  return `rstest:${label}:${process.pid}-${Date.now().toString(36)}-${prefixes}:`
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 0, lazyConnect: true })
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) await redis.del(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

/** A store under a fresh prefix; `dispose` closes it and deletes its keys. */
export interface TestStore {
  store: RedisStore
  prefix: string
  errors: RunstreamError[]
  dispose(): Promise<void>
}

/** Opens a store on `url` (the shared Redis by default) under a unique prefix. */
export function openTestStore(
  settings: RedisStoreSettings & { url?: string } = {},
  prefix = uniquePrefix(),
): TestStore {
  const url = settings.url ?? SHARED_REDIS_URL
  const errors: RunstreamError[] = []
  const store = redisStore({ onError: (error) => errors.push(error), ...settings, url, prefix })
  return {
    store,
    prefix,
    errors,
    async dispose() {
      await store.close()
      await deleteKeys(url, prefix)
    },
  }
}

/** A redis-server of the test's own, which it may stop and restart (never the shared one). */
export interface PrivateRedis {
  readonly port: number
  readonly url: string
  /** Stops the server (SIGKILL: no save, connections reset) and waits until it is gone. */
  stop(): Promise<void>
  /** Starts it again on the same port and waits until it answers. */
  start(): Promise<void>
  /** Stops it for good and removes its files. */
  dispose(): Promise<void>
}

/**
 * Starts `redis-server` on a free port. With `persist`, it keeps an append-only file fsynced at
 * every write, so a restart keeps the streams (as a production Redis with AOF would); with
 * `debug`, it accepts `DEBUG SLEEP` from 127.0.0.1.
 */
export async function startPrivateRedis(
  options: { persist?: boolean; debug?: boolean } = {},
): Promise<PrivateRedis> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'runstream-redis-'))
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--dir',
    dir,
    ...(options.persist
      ? ['--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no']),
    // DEBUG SLEEP, for a Redis that answers late (Redis 7 refuses DEBUG unless enabled).
    ...(options.debug ? ['--enable-debug-command', 'local'] : []),
  ]
  let child: ChildProcess | undefined

  const server: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const running = child
      child = undefined
      if (running === undefined || running.exitCode !== null) return
      const exited = new Promise((resolve) => running.once('exit', resolve))
      running.kill('SIGKILL')
      await exited
    },
    async start() {
      if (child !== undefined) return
      const started = spawn('redis-server', args, { stdio: 'ignore' })
      child = started
      await waitForPing(port, 5000)
    },
    async dispose() {
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  await server.start()
  return server
}

function waitForPing(port: number, timeoutMs: number): Promise<void> {
  return waitFor(() => ping(port), {
    timeoutMs,
    what: `redis-server on port ${port} to answer PING`,
    intervalMs: 20,
  })
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket()
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.once('error', () => done(false))
    socket.setTimeout(500, () => done(false))
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'))
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')))
  })
}

/** Waits until `check` holds, polling it; fails after `timeoutMs` saying `what`. */
export function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  return waitFor(check, { timeoutMs, what, intervalMs: 10 })
}

/** A plain ioredis connection for inspecting Redis from a test. */
export function inspector(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 0, connectionName: 'runstream-test-inspector' })
}
