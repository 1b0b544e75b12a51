import net from 'node:net'

/** What came back on a raw connection: everything, as bytes turned text. */
export interface RawAnswer {
  /** The status code, or 0 when nothing parseable came back. */
  readonly status: number
  /** The response headers, names lower-cased (the last value wins). */
  readonly headers: Record<string, string>
  /** Every byte received, status line and headers included, as text. */
  readonly raw: string
}

/**
 * Sends `GET <target>` exactly as written (no normalization, no encoding), then reads until the
 * server closes, `done(raw)` holds, or `timeoutMs` (10 s by default: a limit for a server that
 * never answers, never what ends a read that a test expects) passes. A client library would clean
 * up the path; an attacker does not.
 */
export function rawGet(
  origin: string,
  target: string,
  headers: Record<string, string> = {},
  options: { done?: (raw: string) => boolean; timeoutMs?: number; method?: string } = {},
): Promise<RawAnswer> {
  const { port, hostname } = new URL(origin)
  const head = [
    `${options.method ?? 'GET'} ${target} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ].join('\r\n')
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname)
    let raw = ''
    const finish = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(parse(raw))
    }
    const timer = setTimeout(finish, options.timeoutMs ?? 10_000)
    socket.setEncoding('latin1')
    socket.on('connect', () => socket.write(Buffer.from(head, 'latin1')))
    socket.on('data', (chunk: string) => {
      raw += chunk
      if (options.done?.(raw)) finish()
    })
    socket.on('close', finish)
    socket.on('error', finish)
  })
}

function parse(raw: string): RawAnswer {
  const end = raw.indexOf('\r\n\r\n')
  const lines = (end === -1 ? raw : raw.slice(0, end)).split('\r\n')
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0)
  const headers: Record<string, string> = {}
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { status, headers, raw }
}
