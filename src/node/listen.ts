import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Options of {@link listen}. */
export interface ListenOptions {
  /** The port; `0` picks a free one. */
  port: number
  /** The interface to bind, such as `127.0.0.1` (this machine only) or `0.0.0.0` (every one). */
  host: string
  /**
   * When the port is taken, listen on a free one instead of failing. For defaults only: a port
   * the user asked for must fail loudly.
   */
  fallback: boolean
}

/**
 * Starts `server` and resolves with the URL it is reachable at (`http://127.0.0.1:4400`). A
 * wildcard host is shown as `localhost`, the name a browser on this machine opens.
 */
export async function listen(server: Server, options: ListenOptions): Promise<string> {
  try {
    await bind(server, options.port, options.host)
  } catch (error) {
    if (!(options.fallback && (error as NodeJS.ErrnoException).code === 'EADDRINUSE')) {
      throw describeListenError(error, options)
    }
    await bind(server, 0, options.host)
  }
  const { port } = server.address() as AddressInfo
  const wildcard = options.host === '0.0.0.0' || options.host === '::'
  const host = wildcard
    ? 'localhost'
    : options.host.includes(':')
      ? `[${options.host}]`
      : options.host
  return `http://${host}:${port}`
}

function bind(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening)
      reject(error)
    }
    const onListening = () => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
}

function describeListenError(error: unknown, options: ListenOptions): Error {
  const code = (error as NodeJS.ErrnoException).code
  const where = `${options.host}:${options.port}`
  if (code === 'EADDRINUSE') {
    return new Error(
      `Port ${options.port} is already in use (${where}). Pick another with --port, or --port 0 for any free port.`,
      { cause: error },
    )
  }
  if (code === 'EACCES') {
    return new Error(`Not allowed to listen on ${where}. Use a port above 1023.`, { cause: error })
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new Error(
      `Cannot listen on host "${options.host}": this machine has no such address. Use 127.0.0.1 or 0.0.0.0.`,
      { cause: error },
    )
  }
  return error instanceof Error ? error : new Error(String(error))
}
