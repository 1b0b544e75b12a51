import type { IncomingMessage } from 'node:http'
import type { Http2ServerRequest } from 'node:http2'
import { type BodyRead, GONE, TOO_LARGE } from '../server/incoming.js'

/**
 * Reads a Node request's body, up to `maxBytes`. A body a framework already parsed (Express's
 * `express.json()` and `express.text()` set `req.body`) is taken as it is; otherwise the bytes are
 * read from the request, and reading stops as soon as they are over the limit.
 */
export function readNodeBody(
  req: IncomingMessage | Http2ServerRequest,
  maxBytes: number,
): Promise<BodyRead> {
  const parsed = (req as { body?: unknown }).body
  if (parsed !== undefined) {
    if (typeof parsed === 'string') return Promise.resolve({ kind: 'text', text: parsed })
    if (parsed instanceof Uint8Array) {
      return Promise.resolve(
        parsed.byteLength > maxBytes
          ? TOO_LARGE
          : { kind: 'text', text: Buffer.from(parsed).toString('utf8') },
      )
    }
    return Promise.resolve({ kind: 'parsed', value: parsed })
  }
  if (Number(req.headers['content-length']) > maxBytes) return Promise.resolve(TOO_LARGE)
  // Read already, by a framework that kept nothing of it: there is nothing left to parse.
  if (req.readableEnded) return Promise.resolve({ kind: 'text', text: '' })
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = (read: BodyRead) => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onGone)
      req.off('close', onGone)
      resolve(read)
    }
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      size += bytes.length
      if (size > maxBytes) {
        // The rest is not read: Node discards it once the answer is sent.
        req.pause()
        done(TOO_LARGE)
        return
      }
      chunks.push(bytes)
    }
    const onEnd = () => done({ kind: 'text', text: Buffer.concat(chunks).toString('utf8') })
    const onGone = () => done(GONE)
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onGone)
    req.on('close', onGone)
  })
}
