import { createServer, type Server, Socket } from 'node:net'

/** Options of {@link createFaultProxy}. */
export interface FaultProxyOptions {
  /** The server behind the proxy: `http://127.0.0.1:3000`, or just its port on 127.0.0.1. */
  target: string | number
  /** The port to listen on, on 127.0.0.1. @defaultValue 0 (a free port) */
  port?: number
  /**
   * Forwards the server's bytes in writes of at most this many bytes, so that the client sees
   * frames, lines and UTF-8 characters cut anywhere. @defaultValue undefined (as they come)
   */
  chunkBytes?: number
  /**
   * Waits this many milliseconds before every forwarded write (with `chunkBytes`, before every
   * chunk): a slow link. @defaultValue 0
   */
  latencyMs?: number
}

/** A running fault proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: use it in place of the server's URL. */
  readonly url: string
  /** Connections open now. */
  readonly connections: number
  /** Connections accepted so far. */
  readonly accepted: number
  /** Bytes forwarded from the server to its clients so far. */
  readonly bytesToClients: number
  /** Destroys every open connection, on both sides: a network that drops everything at once. */
  cutAll(): void
  /**
   * Stops forwarding, both ways, while every socket stays open, and holds new connections the
   * same way: a half-open network, where nothing fails and nothing arrives. {@link FaultProxy.resume}
   * delivers what waited.
   */
  stall(): void
  /** Forwards again after {@link FaultProxy.stall}. */
  resume(): void
  /**
   * While on, new connections are accepted and closed at once, as by a server that is down;
   * the open ones are left alone.
   */
  refuse(on: boolean): void
  /** Cuts every connection and stops listening. */
  close(): Promise<void>
}

/**
 * Starts a TCP proxy on 127.0.0.1 in front of a real server, whose network faults are yours to
 * trigger: cut every connection, go half-open, refuse new connections, cut the bytes into small
 * writes, add latency. Where {@link createFaultServer} scripts what a server says, the proxy
 * breaks the network between a real server and a real client.
 *
 * @example
 * ```ts
 * const proxy = await createFaultProxy({ target: serverUrl, chunkBytes: 7 })
 * const subscription = connect(`${proxy.url}/api/v0/executions/workflows/w1/stream`)
 * // … after some events:
 * proxy.cutAll() // the client reconnects and resumes with Last-Event-ID
 * await proxy.close()
 * ```
 */
export async function createFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = targetOf(options.target)
  const chunkBytes = options.chunkBytes
  if (chunkBytes !== undefined && (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0)) {
    throw new TypeError('createFaultProxy: `chunkBytes` must be a positive integer.')
  }
  const latencyMs = options.latencyMs ?? 0
  const pipes = new Set<Pipe>()
  const timers = new Set<ReturnType<typeof setTimeout>>()
  let stalled = false
  let refusing = false
  let accepted = 0
  let bytesToClients = 0

  const server: Server = createServer((client) => {
    accepted++
    if (refusing) {
      client.destroy()
      return
    }
    const server = new Socket()
    const cut = () => {
      pipes.delete(pair)
      client.destroy()
      server.destroy()
    }
    const pair: Pipe = {
      client,
      server,
      up: forwarder(client, server, () => undefined),
      // What the server sent before it closed still reaches the client, then its side ends.
      down: forwarder(server, client, (bytes) => {
        bytesToClients += bytes
      }),
    }
    pipes.add(pair)
    for (const socket of [client, server]) {
      socket.setNoDelay(true)
      socket.on('error', cut)
    }
    // A client that left has nothing more to receive.
    client.on('close', cut)
    server.connect(upstream.port, upstream.host)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0

  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return pipes.size
    },
    get accepted() {
      return accepted
    },
    get bytesToClients() {
      return bytesToClients
    },
    cutAll() {
      for (const pair of [...pipes]) {
        pair.client.destroy()
        pair.server.destroy()
      }
    },
    stall() {
      stalled = true
    },
    resume() {
      stalled = false
      for (const pair of pipes) {
        pair.up.flush()
        pair.down.flush()
      }
    },
    refuse(on) {
      refusing = on
    },
    async close() {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      for (const pair of [...pipes]) {
        pair.client.destroy()
        pair.server.destroy()
      }
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }

  /**
   * Moves bytes from `from` to `to` in order, cut into `chunkBytes` and delayed by `latencyMs`,
   * holding them while stalled, and reading no more while the other side is full.
   */
  function forwarder(from: Socket, to: Socket, count: (bytes: number) => void): Forwarder {
    const queue: Buffer[] = []
    let waiting = false
    let fromClosed = false
    from.on('close', () => {
      fromClosed = true
      flush()
    })
    from.on('data', (data: Buffer) => {
      if (chunkBytes === undefined) queue.push(data)
      else {
        for (let at = 0; at < data.length; at += chunkBytes) {
          queue.push(data.subarray(at, at + chunkBytes))
        }
      }
      flush()
    })
    from.on('end', () => {
      queue.push(END)
      flush()
    })
    const flush = () => {
      // Stalled: nothing more is read either, so the kernel's buffers fill as on a dead route.
      if (stalled) from.pause()
      if (waiting || stalled || to.destroyed) return
      const next = queue.shift()
      if (next === undefined) {
        if (!fromClosed) from.resume()
        else if (!to.writableEnded) to.end()
        return
      }
      if (latencyMs > 0) {
        waiting = true
        const timer = setTimeout(() => {
          timers.delete(timer)
          waiting = false
          write(next)
        }, latencyMs)
        timers.add(timer)
      } else write(next)
    }
    const write = (chunk: Buffer) => {
      if (to.destroyed) return
      if (chunk === END) {
        to.end()
        return
      }
      count(chunk.length)
      // A full socket stops the reading side until it drains: the proxy holds little.
      if (!to.write(chunk)) {
        from.pause()
        waiting = true
        to.once('drain', () => {
          waiting = false
          flush()
        })
        return
      }
      setImmediate(flush)
    }
    return { flush }
  }
}

interface Forwarder {
  /** Writes what waits, unless stalled. */
  flush(): void
}

interface Pipe {
  client: Socket
  server: Socket
  up: Forwarder
  down: Forwarder
}

// The end of one direction, queued behind its bytes.
const END = Buffer.alloc(0)

function targetOf(target: string | number): { host: string; port: number } {
  if (typeof target === 'number') return { host: '127.0.0.1', port: target }
  const url = new URL(target)
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port }
}
