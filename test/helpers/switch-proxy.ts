import type { AddressInfo } from 'node:net'
import { createServer, Socket } from 'node:net'

/**
 * A TCP proxy on 127.0.0.1 whose backend can be switched, as a load balancer moves clients to
 * another replica: connections opened after `switchTo` go to the new port.
 */
export interface SwitchProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** New connections go to `port` from now on. */
  switchTo(port: number): void
  /** Destroys every open connection, on both sides. */
  cutAll(): void
  /** Cuts everything and stops listening. */
  close(): Promise<void>
}

/** Starts a {@link SwitchProxy} in front of `port`. */
export async function startSwitchProxy(port: number): Promise<SwitchProxy> {
  let target = port
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = new Socket()
    sockets.add(client)
    sockets.add(upstream)
    const close = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', close).on('close', close)
    upstream.on('error', close).on('close', close)
    upstream.connect(target, '127.0.0.1', () => {
      client.pipe(upstream)
      upstream.pipe(client)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const cutAll = () => {
    for (const socket of [...sockets]) socket.destroy()
  }
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    switchTo(next) {
      target = next
    },
    cutAll,
    close() {
      cutAll()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
