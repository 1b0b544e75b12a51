import type { RunstreamError } from '../../src/index.js'
import { type ProtocolHandler, toNodeHandler } from '../../src/node.js'
import { startServer, type TestServer } from './http.js'

/** A protocol adapter's handler served on Node, with its manager and the errors it reported. */
export interface ProtocolServer<M> {
  server: TestServer
  /** The handler's route: `{origin}{path}`. */
  url: string
  manager: M
  /** What the manager's `onError` was given. */
  errors: RunstreamError[]
  /** Closes the handler, then the server, then the manager. */
  close(): Promise<void>
}

/**
 * Serves an AG-UI or AI SDK handler on a real Node server (through `toNodeHandler`), over a
 * manager that collects its errors: the setup every adapter test starts from.
 * @param path - the route the handler answers, such as `/api/agent`
 */
export async function serveProtocol<M extends { close(): Promise<void> }>(
  path: string,
  createManager: (onError: (error: RunstreamError) => void) => M,
  createHandler: (manager: M) => ProtocolHandler,
): Promise<ProtocolServer<M>> {
  const errors: RunstreamError[] = []
  const manager = createManager((error) => errors.push(error))
  const handler = createHandler(manager)
  const server = await startServer(toNodeHandler(handler))
  return {
    server,
    url: `${server.url}${path}`,
    manager,
    errors,
    async close() {
      handler.close()
      await server.close()
      await manager.close()
    },
  }
}
