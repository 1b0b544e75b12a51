/**
 * The client side of bench/fanout.ts, run in its own process so the clients do not share the
 * server's core: opens N sockets, sends a GET on each, counts `data:` lines per connection
 * without parsing, and reports when every connection has seen every event.
 *
 * IPC in: { type: 'start', port, path, clients, events }, then { type: 'mark' } just before the
 * events start. Out: 'ready', then 'done' with the time of the last delivery and the CPU time
 * this process used since the mark (near the elapsed time: the clients, not the server, were
 * the limit). Or { type: 'idle', port, path, count }, any number of times: opens that many
 * connections that only wait, and answers 'idle-ready' once each has its first bytes.
 */
import net from 'node:net'

interface Start {
  type: 'start'
  port: number
  path: string
  clients: number
  events: number
}

const MARK = Buffer.from('data:')
// What each read of a measured client lands in (see `open` in start()).
const READ_BUFFER = Buffer.alloc(256 * 1024)

// The CPU this process had used when the events started, to tell whether it kept up.
let cpuAtMark: NodeJS.CpuUsage | undefined

/** Opens `count` more connections that only wait (for the memory measurement). */
interface Idle {
  type: 'idle'
  port: number
  path: string
  count: number
}

process.on('message', (message: Start | Idle | { type: 'exit' | 'mark' }) => {
  if (message.type === 'exit') process.exit(0)
  if (message.type === 'mark') cpuAtMark = process.cpuUsage()
  if (message.type === 'start') void start(message)
  if (message.type === 'idle') void idle(message)
})

// Sockets kept open on purpose: the server must see them as connected clients.
const idlers: net.Socket[] = []

async function idle({ port, path, count }: Idle): Promise<void> {
  let failures = 0
  const request = requestFor(path, port)
  const open = () =>
    new Promise<void>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port, noDelay: true }, () => {
        socket.write(request)
      })
      idlers.push(socket)
      socket.once('data', () => resolve())
      socket.on('error', () => {
        failures++
        resolve()
      })
    })
  for (let i = 0; i < count; i += WAVE) {
    await Promise.all(Array.from({ length: Math.min(WAVE, count - i) }, () => open()))
  }
  process.send?.({ type: 'idle-ready', failures })
}

function requestFor(path: string, port: number): Buffer {
  return Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n`,
  )
}

// Connections are opened in waves of this many, so the accept queue never overflows.
const WAVE = 100

async function start({ port, path, clients, events }: Start): Promise<void> {
  let ready = 0
  let complete = 0
  let lastAt = 0n
  let failures = 0
  const report = () => {
    const cpu = process.cpuUsage(cpuAtMark)
    process.send?.({
      type: 'done',
      lastAt: String(lastAt),
      failures,
      cpuMs: (cpu.user + cpu.system) / 1000,
    })
  }
  const request = requestFor(path, port)

  // A bare socket, not http.get: the HTTP client's parser would cost this process more than the
  // server spends, and make the clients the limit. The counted marks never occur in headers or in
  // the chunk-size lines of the chunked body, which lie between whole frames. Read with `onread`
  // into one buffer shared by every socket (each read is counted before the next one starts), not
  // as 'data' events: a Buffer and a trip through the stream machinery per read made the client
  // process the limit of the fastest servers on a fast machine.
  const open = () =>
    new Promise<void>((resolve) => {
      let count = 0
      let carry = 0
      let started = false
      const onChunk = (chunk: Buffer) => {
        if (!started) {
          started = true
          ready++
          resolve()
          if (ready === clients) process.send?.({ type: 'ready' })
        }
        // Count "data:" marks; a mark split across chunks is found through the carried tail.
        let from = 0
        if (carry > 0) {
          const head = Buffer.concat([MARK.subarray(0, carry), chunk.subarray(0, 5 - carry)])
          if (head.equals(MARK)) {
            count++
            from = 5 - carry
          }
        }
        for (;;) {
          const at = chunk.indexOf(MARK, from)
          if (at === -1) break
          count++
          from = at + 5
        }
        carry = 0
        for (let k = 4; k > 0; k--) {
          if (chunk.length >= k && chunk.subarray(chunk.length - k).equals(MARK.subarray(0, k))) {
            carry = k
            break
          }
        }
        if (count === events) {
          complete++
          if (complete === clients) {
            lastAt = process.hrtime.bigint()
            report()
          }
        }
      }
      const socket = net.connect(
        {
          host: '127.0.0.1',
          port,
          noDelay: true,
          onread: {
            buffer: READ_BUFFER,
            // `false` would pause the socket: every read is taken.
            callback: (bytes: number, buffer: Uint8Array) => {
              onChunk((buffer as Buffer).subarray(0, bytes))
              return true
            },
          },
        },
        () => {
          socket.write(request)
        },
      )
      socket.on('error', () => {
        if (!started) {
          failures++
          resolve()
        }
      })
    })

  for (let i = 0; i < clients; i += WAVE) {
    await Promise.all(Array.from({ length: Math.min(WAVE, clients - i) }, () => open()))
  }
  if (failures > 0) process.send?.({ type: 'ready', failures })
}
