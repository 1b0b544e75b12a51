import { type Refusal, refusal } from './http-errors.js'
import type { IncomingRequest } from './incoming.js'

/**
 * The request's body as JSON: its value, a 400 or 413 refusal, or the client gone. Every route
 * that reads a JSON body (run starts, the streams list, the AG-UI and AI SDK routes) reads it
 * here, so that each refuses a bad or oversized body with the same answer.
 */
export async function readJson(
  incoming: IncomingRequest,
  maxBytes: number,
): Promise<{ readonly value: unknown } | Refusal | { readonly gone: true }> {
  const body = await incoming.readBody(maxBytes)
  switch (body.kind) {
    case 'gone':
      return { gone: true }
    case 'too_large':
      return refusal(
        413,
        'body_too_large',
        `The body is over ${maxBytes} bytes (maxBodyBytes). Send less, or pass large inputs by reference.`,
        { maxBodyBytes: maxBytes },
      )
    case 'parsed':
      return { value: body.value }
    case 'text':
      try {
        return { value: JSON.parse(body.text) as unknown }
      } catch {
        return refusal(
          400,
          'invalid_body',
          'The body must be JSON, such as {"prompt": "…"} (with Content-Type: application/json).',
        )
      }
  }
}
