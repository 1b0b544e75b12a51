/**
 * What a runtime passes a Fetch handler besides the request, when it is a server that can lift
 * its idle timeout for one request: Bun's `server.timeout(request, seconds)`.
 */
interface IdleTimeoutServer {
  timeout(request: Request, seconds: number): void
}

/**
 * Lifts the runtime's idle timeout for a stream's request, where the runtime has one and says
 * how. Bun passes its server as the Fetch handler's second argument and ends a request after
 * `idleTimeout` seconds without a byte sent, 10 by default: shorter than the 15 s heartbeat, so
 * a quiet stream would be cut and its client would reconnect over and over. Anywhere else (Deno
 * passes connection info, Workers their bindings, Next.js a route context) it does nothing.
 */
export function keepStreamOpen(request: Request, server: unknown): void {
  if ((globalThis as { Bun?: unknown }).Bun === undefined) return
  const candidate = server as Partial<IdleTimeoutServer> | undefined
  if (typeof candidate?.timeout === 'function') candidate.timeout(request, 0)
}
