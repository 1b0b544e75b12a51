import { type ChildProcess, fork } from 'node:child_process'
import http from 'node:http'
import { createServer, type Server, Socket } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createParser } from 'eventsource-parser'

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')

/** A child process running one fixture script, with its IPC channel. */
export interface Fixture {
  readonly child: ChildProcess
  send(message: object): void
  /** Resolves with the next IPC message of `type`. */
  next<T extends { type: string }>(type: string, timeoutMs?: number): Promise<T>
  /** Asks the process to exit, then kills it if it has not within a second. */
  stop(): Promise<void>
}

/** Starts `test/redis/fixtures/<name>.ts` with `node --import tsx` and an IPC channel. */
export function startFixture(name: string, env: Record<string, string>): Fixture {
  const child = fork(join(fixtures, `${name}.ts`), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const inbox: { type: string }[] = []
  const waiting = new Set<() => void>()
  child.on('message', (message: { type: string }) => {
    inbox.push(message)
    for (const wake of [...waiting]) wake()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    child,
    send(message) {
      if (child.connected) child.send(message)
    },
    next<T extends { type: string }>(type: string, timeoutMs = 15_000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const check = () => {
          const at = inbox.findIndex((message) => message.type === type)
          if (at === -1) return false
          const [message] = inbox.splice(at, 1)
          waiting.delete(check)
          clearTimeout(timer)
          resolve(message as T)
          return true
        }
        const timer = setTimeout(() => {
          waiting.delete(check)
          reject(new Error(`fixture ${name}: no "${type}" message within ${timeoutMs} ms`))
        }, timeoutMs)
        if (!check()) waiting.add(check)
      })
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      if (child.connected) child.send({ type: 'exit' })
      const killer = setTimeout(() => child.kill('SIGKILL'), 1000)
      await exited
      clearTimeout(killer)
    },
  }
}

/** Two web processes and a producer process sharing one Redis, ready. */
export interface Deployment {
  /** The web processes' ports. */
  web: [number, number]
  producer: Fixture
  webs: [Fixture, Fixture]
}

/**
 * Starts two `web-process` fixtures and a `producer-process` with `env` (REDIS_URL, PREFIX) and
 * waits until they listen and are ready; each one's stop goes into `cleanup`.
 */
export async function deploy(
  env: Record<string, string>,
  cleanup: (() => Promise<void> | void)[],
): Promise<Deployment> {
  const a = startFixture('web-process', env)
  const b = startFixture('web-process', env)
  const producer = startFixture('producer-process', env)
  for (const child of [a, b, producer]) cleanup.push(() => child.stop())
  const [listeningA, listeningB] = await Promise.all([
    a.next<{ type: string; port: number }>('listening'),
    b.next<{ type: string; port: number }>('listening'),
    producer.next('ready'),
  ])
  return { web: [listeningA.port, listeningB.port], producer, webs: [a, b] }
}

/** One SSE message as received. */
export interface SseMessage {
  id: string | undefined
  event: string | undefined
  data: string
}

/** A raw SSE request: status, headers, parsed messages, and a way to cut it. */
export interface SseRequest {
  readonly status: Promise<number>
  readonly headers: Promise<http.IncomingHttpHeaders>
  /** The messages received so far. */
  readonly messages: SseMessage[]
  /** The whole body, for answers that are not event streams. */
  body(): Promise<string>
  /** Resolves once `check` holds for the messages received, or the response ended. */
  until(check: (messages: SseMessage[]) => boolean, timeoutMs?: number): Promise<void>
  /** Resolves when the response ends or the connection is cut. */
  readonly ended: Promise<void>
  /** Cuts the connection, as a network failure would. */
  cut(): void
}

/** Opens `GET http://127.0.0.1:<port><path>`, sending `Last-Event-ID` when given. */
export function openSse(port: number, path: string, lastEventId?: string): SseRequest {
  const messages: SseMessage[] = []
  const wakers = new Set<() => void>()
  const wake = () => {
    for (const waker of [...wakers]) waker()
  }
  let text = ''
  let finished = false
  let settleStatus: (status: number) => void = () => {}
  let settleHeaders: (headers: http.IncomingHttpHeaders) => void = () => {}
  let failStatus: (error: Error) => void = () => {}
  const status = new Promise<number>((resolve, reject) => {
    settleStatus = resolve
    failStatus = reject
  })
  const headers = new Promise<http.IncomingHttpHeaders>((resolve) => {
    settleHeaders = resolve
  })
  let markEnded: () => void = () => {}
  const ended = new Promise<void>((resolve) => {
    markEnded = () => {
      finished = true
      resolve()
      wake()
    }
  })
  const parser = createParser({
    onEvent(message) {
      messages.push({ id: message.id, event: message.event, data: message.data })
      wake()
    },
  })
  const request = http.get(
    {
      host: '127.0.0.1',
      port,
      path,
      agent: false,
      headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
    },
    (response) => {
      settleStatus(response.statusCode ?? 0)
      settleHeaders(response.headers)
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        text += chunk
        parser.feed(chunk)
      })
      response.on('end', markEnded)
      response.on('close', markEnded)
      response.on('error', markEnded)
    },
  )
  request.on('error', (error) => {
    failStatus(error)
    markEnded()
  })
  return {
    status,
    headers,
    messages,
    async body() {
      await ended
      return text
    },
    until(check, timeoutMs = 15_000) {
      return new Promise<void>((resolve, reject) => {
        const test = () => {
          if (!check(messages) && !finished) return
          wakers.delete(test)
          clearTimeout(timer)
          resolve()
        }
        const timer = setTimeout(() => {
          wakers.delete(test)
          reject(
            new Error(
              `SSE: condition not met within ${timeoutMs} ms (${messages.length} messages)`,
            ),
          )
        }, timeoutMs)
        wakers.add(test)
        test()
      })
    },
    ended,
    cut() {
      request.destroy()
    },
  }
}

/** The event messages (those with an id) of a list, without control events and comments. */
export function eventsOf(messages: readonly SseMessage[]): SseMessage[] {
  return messages.filter((message) => message.id !== undefined && message.id !== '')
}

/** A TCP load balancer in front of two web processes. */
export interface Balancer {
  readonly port: number
  /** Connections sent to each backend. */
  readonly connections: [number, number]
  cutAll(): void
  close(): Promise<void>
}

/** A TCP load balancer on 127.0.0.1: each new connection goes to the next backend in turn. */
export async function roundRobin(ports: [number, number]): Promise<Balancer> {
  const open = new Set<Socket>()
  const connections: [number, number] = [0, 0]
  let turn = 0
  const server: Server = createServer((client) => {
    const index = turn++ % 2 === 0 ? 0 : 1
    connections[index]++
    const upstream = new Socket()
    upstream.connect(ports[index], '127.0.0.1')
    for (const socket of [client, upstream]) {
      open.add(socket)
      socket.on('close', () => open.delete(socket))
      socket.on('error', () => undefined)
    }
    client.pipe(upstream)
    upstream.pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    connections,
    cutAll() {
      for (const socket of open) socket.destroy()
    },
    async close() {
      for (const socket of open) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
